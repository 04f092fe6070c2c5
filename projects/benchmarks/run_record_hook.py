# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A hook that records what two compared runs must share: the first training
batch and the backbone's starting weights.

Imported by the configs ``tools/analysis/compare_detectors.py`` writes
(``custom_imports``).
"""
import hashlib
import json
import os.path as osp
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from lodaa_plugin.utils.model_wrapper import unwrap_model


@HOOKS.register_module()
class RunRecordHook(Hook):
    """Record what two runs must share to be compared: a digest of the first
    training batch (image pixels and true boxes) and whether the backbone
    starts from a given file. Writes ``run_record.json`` to the work dir.

    Args:
        backbone_init (str, optional): The state dict the backbone must
            start from. Defaults to None.
    """

    def __init__(self, backbone_init: Optional[str] = None) -> None:
        self.backbone_init = backbone_init
        self.record = {}

    def before_train(self, runner) -> None:
        """Compare the backbone with ``backbone_init``.

        Args:
            runner (Runner): The runner.
        """
        if self.backbone_init is None:
            return
        model = unwrap_model(runner.model)
        import torch
        start = torch.load(self.backbone_init, weights_only=True)
        mine = model.backbone.state_dict()
        # BatchNorm's step counter is no weight (frozen BatchNorm drops it)
        self.record['backbone_matches_init'] = all(
            k in mine and torch.equal(mine[k].cpu(), v)
            for k, v in start.items() if not k.endswith('num_batches_tracked'))

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        """Digest the first batch.

        Args:
            runner (Runner): The runner.
            batch_idx (int): Index in the epoch.
            data_batch (dict): The batch, before preprocessing.
        """
        if runner.iter != 0 or 'first_batch' in self.record:
            return
        digest = hashlib.sha256()
        for image, sample in zip(data_batch['inputs'],
                                 data_batch['data_samples']):
            digest.update(image.contiguous().numpy().tobytes())
            boxes = sample.gt_instances.bboxes
            digest.update(
                getattr(boxes, 'tensor', boxes).contiguous().numpy().tobytes())
        self.record['first_batch'] = digest.hexdigest()
        self.record['first_batch_images'] = [
            s.img_path for s in data_batch['data_samples']
        ]
        with open(osp.join(runner.work_dir, 'run_record.json'), 'w') as f:
            json.dump(self.record, f, indent=1)
