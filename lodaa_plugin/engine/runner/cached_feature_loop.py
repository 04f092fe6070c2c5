# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Train a linear probe on features computed once."""
import time
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.dist import get_world_size, is_main_process
from mmengine.logging import print_log
from mmengine.registry import LOOPS
from mmengine.runner import EpochBasedTrainLoop
from tqdm import tqdm

from ...utils.model_wrapper import unwrap_model

# Transforms that draw random numbers: cached features would freeze one draw.
RANDOM_TRANSFORM_MARKERS = ('Random', 'ColorJitter', 'AutoAugment',
                            'RandAugment', 'Mixup', 'CutMix', 'GaussianBlur',
                            'Lighting', 'Albu', 'PhotoMetricDistortion')


def random_transforms(transform_names: Sequence[str]) -> List[str]:
    """Pick the names among ``transform_names`` that are random.

    Args:
        transform_names (Sequence[str]): Class names of pipeline transforms.

    Returns:
        list[str]: The random ones.
    """
    return [
        name for name in transform_names
        if any(marker in name for marker in RANDOM_TRANSFORM_MARKERS)
    ]


@LOOPS.register_module()
class CachedFeatureTrainLoop(EpochBasedTrainLoop):
    """Epoch loop for a frozen-backbone model (:class:`LinearProbeClassifier`)
    that runs the backbone once over the training set and then trains the
    head on the stored features, skipping image decoding and the backbone in
    every epoch. Iteration counts, hooks, schedulers and logs are those of
    :class:`EpochBasedTrainLoop` on the same data.

    The training pipeline must be deterministic (fixed resize and crop, no
    random flip or colour jitter): this is checked. Single process only.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader or dict): The training dataloader.
        max_epochs (int): Epochs.
        val_begin (int): First epoch to validate. Defaults to 1.
        val_interval (int): Validate every this many epochs. Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): As
            :class:`EpochBasedTrainLoop`. Defaults to None.
    """

    def __init__(
            self,
            runner,
            dataloader,
            max_epochs: int,
            val_begin: int = 1,
            val_interval: int = 1,
            dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        transforms = getattr(self.dataloader.dataset.pipeline, 'transforms',
                             [])
        random = random_transforms([type(t).__name__ for t in transforms])
        if random:
            raise ValueError(
                f'CachedFeatureTrainLoop needs a deterministic training '
                f'pipeline, but {random} draw random numbers: cached '
                'features would freeze one draw. Use EpochBasedTrainLoop or '
                'a fixed resize/crop pipeline.')
        if get_world_size() > 1:
            raise RuntimeError(
                'CachedFeatureTrainLoop runs in a single process; use '
                'EpochBasedTrainLoop for distributed training.')
        self.features: Optional[Tuple[torch.Tensor, ...]] = None
        self.data_samples: list = []

    @property
    def model(self) -> torch.nn.Module:
        model = self.runner.model
        return unwrap_model(model)

    def build_cache(self) -> None:
        """Run the frozen part once over the training set."""
        model = self.model
        started = time.time()
        feats, samples = [], []
        was_training = model.training
        model.eval()
        with torch.no_grad():
            for batch in tqdm(
                    self.dataloader,
                    desc='caching features',
                    unit='batch',
                    disable=not is_main_process()):
                data = model.data_preprocessor(batch, False)
                feats.append(
                    tuple(f.cpu() for f in model.extract_feat(data['inputs'])))
                samples += data['data_samples']
        model.train(was_training)
        self.features = tuple(torch.cat(level) for level in zip(*feats))
        self.data_samples = samples
        shapes = ', '.join(str(tuple(f.shape)) for f in self.features)
        print_log(
            f'cached features of {len(samples)} images ({shapes}) in '
            f'{time.time() - started:.1f} s',
            logger='current')

    def run(self) -> torch.nn.Module:
        """Build the cache, then train as :class:`EpochBasedTrainLoop`."""
        if self.features is None:
            self.build_cache()
        return super().run()

    def run_epoch(self) -> None:
        """Train one epoch over the cached features in a seeded order."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        num = len(self.data_samples)
        batch_size = self.dataloader.batch_size
        seed = self.runner.seed if self.runner.seed is not None else 0
        order = torch.randperm(
            num, generator=torch.Generator().manual_seed(seed + self._epoch))
        for idx in range(len(self.dataloader)):
            ids = order[idx * batch_size:(idx + 1) * batch_size]
            if len(ids) == 0:
                break
            self.run_iter(
                idx,
                dict(
                    feats=tuple(f[ids] for f in self.features),
                    data_samples=[self.data_samples[i] for i in ids]))
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: dict) -> None:
        """Take one optimisation step of the head on cached features."""
        self.runner.call_hook(
            'before_train_iter', batch_idx=idx, data_batch=data_batch)
        model = self.model
        device = next(model.head.parameters()).device
        feats = tuple(f.to(device) for f in data_batch['feats'])
        optim_wrapper = self.runner.optim_wrapper
        with optim_wrapper.optim_context(model):
            losses = model.loss_on_features(feats, data_batch['data_samples'])
        parsed, log_vars = model.parse_losses(losses)
        optim_wrapper.update_params(parsed)
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=log_vars)
        self._iter += 1
