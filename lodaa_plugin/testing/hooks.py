# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Hooks that record what tests and comparisons check: each rank's final
weights, a run's first batch and starting backbone.

Imported by the configs that list them (``custom_imports``).
"""
import hashlib
import json
import os
import os.path as osp
from typing import Optional

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class WeightsDigestHook(Hook):
    """After training, write ``weights_digest_rank{RANK}.txt`` to the work
    dir: the SHA-256 of every parameter and buffer of this rank's model."""

    def after_train(self, runner) -> None:
        """Write this rank's digest.

        Args:
            runner (Runner): The runner.
        """
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        digest = hashlib.sha256()
        for name, tensor in sorted(model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        path = osp.join(runner.work_dir,
                        f'weights_digest_rank{get_rank()}.txt')
        with open(path, 'w') as f:
            f.write(f'{digest.hexdigest()} world_size='
                    f'{os.environ.get("WORLD_SIZE", "1")}\n')


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
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
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
