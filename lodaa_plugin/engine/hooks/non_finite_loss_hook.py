# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Stop (or skip) a training step whose loss is not finite."""
import logging
import math
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

from ...utils.model_wrapper import unwrap_model


def _elements(value) -> torch.Tensor:
    """Flatten a loss part (a tensor or a list of tensors)."""
    if isinstance(value, (list, tuple)):
        return torch.cat([torch.as_tensor(v).float().flatten() for v in value])
    return torch.as_tensor(value).float().flatten()


def _learning_rates(runner) -> Dict[str, List[float]]:
    """Return the current learning rates, per optimizer, as floats."""
    lrs = runner.optim_wrapper.get_lr()
    if 'lr' in lrs:  # a single optimizer
        return {'': [float(v) for v in lrs['lr']]}
    return {
        name.rsplit('.lr', 1)[0]: [float(v) for v in values]
        for name, values in lrs.items() if name.endswith('lr')
    }


def _non_finite_weights(runner) -> str:
    """Name up to three parameters that are not finite ('' if none)."""
    model = unwrap_model(runner.model)
    bad = [
        name for name, p in model.named_parameters()
        if not bool(torch.isfinite(p).all())
    ]
    return ', '.join(bad[:3]) + (', ...' if len(bad) > 3 else '')


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Check every loss part before the optimizer step.

    By default a NaN or infinite part stops training with the iteration and
    the parts that went non-finite, before the weights are touched. With
    ``skip=True`` that step updates nothing, a warning is logged, the skips
    are counted, and training stops after ``max_skips`` of them, or after
    ``max_consecutive`` in a row (a model that does not recover).

    It also checks what a loss would be wrongly blamed for: a learning rate
    that is not finite stops training before the step that would use it,
    and a checkpoint whose weights are not finite is not written.

    Not mmdet's ``CheckInvalidLossHook``, because that one looks at the
    total loss after the update (the weights are already NaN) and only
    every ``interval`` iterations; this one checks each part before it.

    Args:
        skip (bool): Skip the step instead of stopping (single process
            only). Defaults to False.
        max_skips (int): Most steps to skip before stopping anyway.
            Defaults to 100.
        max_consecutive (int): Most steps in a row to skip before stopping
            anyway. Defaults to 10.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 skip: bool = False,
                 max_skips: int = 100,
                 max_consecutive: int = 10) -> None:
        self.skip = skip
        self.max_skips = max_skips
        self.max_consecutive = max_consecutive
        self.skipped = 0
        self.consecutive = 0

    def before_train(self, runner) -> None:
        """Wrap the model's ``parse_losses`` with the check."""
        if self.skip and get_world_size() > 1:
            raise RuntimeError(
                'NonFiniteLossHook(skip=True) runs in a single process: a '
                'skipped step on one rank would stall the others.')
        model = unwrap_model(runner.model)
        original = model.parse_losses
        hook = self

        def parse_losses(
            losses: Dict[str, torch.Tensor]
        ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
            parts = {
                name: _elements(value)
                for name, value in losses.items() if 'loss' in name
            }
            finite = [torch.isfinite(v).all() for v in parts.values()]
            # one host sync per step, not one per loss part
            if not finite or torch.stack(finite).all():
                hook.consecutive = 0
                return original(losses)
            bad = {
                n: v.sum()
                for (n, v), ok in zip(parts.items(), finite) if not ok
            }
            return hook._handle(runner, bad, losses, original)

        model.parse_losses = parse_losses

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Stop before a step whose learning rate is not finite."""
        for name, lrs in _learning_rates(runner).items():
            for group, lr in enumerate(lrs):
                if not math.isfinite(lr):
                    raise FloatingPointError(
                        f'The learning rate is {lr} (optimizer {name}, param '
                        f'group {group}) at iteration {runner.iter + 1}: '
                        'training stopped before using it. Check '
                        'optim_wrapper.optimizer.lr, param_scheduler and '
                        'auto_scale_lr.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to write a checkpoint whose weights are not finite."""
        bad = [
            name for name, value in checkpoint.get('state_dict', {}).items()
            if torch.is_tensor(value) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())
        ]
        if bad:
            raise FloatingPointError(
                f'Not saving the checkpoint of iteration {runner.iter}: '
                f'{len(bad)} weight tensor(s) are not finite ('
                f'{", ".join(bad[:5])}{", ..." if len(bad) > 5 else ""}).')

    def _handle(self, runner, bad: dict, losses: dict, original):
        parts = ', '.join(f'{name}={float(v):g}' for name, v in bad.items())
        where = f'iteration {runner.iter + 1} (epoch {runner.epoch + 1})'
        broken = _non_finite_weights(runner)
        if broken:
            parts += (f'; the weights are already not finite ({broken}): an '
                      'earlier update broke them')
        if not self.skip or self.skipped >= self.max_skips \
                or self.consecutive >= self.max_consecutive or broken:
            if not self.skip:
                reason = ('set custom_hooks=[dict(type="NonFiniteLossHook",'
                          ' skip=True)] to skip such steps instead')
            elif broken:
                reason = 'skipping cannot repair the weights'
            elif self.consecutive >= self.max_consecutive:
                reason = (f'{self.consecutive} steps in a row were skipped: '
                          'the model does not recover')
            else:
                reason = f'after {self.skipped} skipped steps'
            raise FloatingPointError(
                f'Non-finite loss at {where}: {parts}. Training stopped '
                f'before the update ({reason}).')
        self.skipped += 1
        self.consecutive += 1
        print_log(
            f'Non-finite loss at {where}: {parts}; step skipped '
            f'({self.skipped}/{self.max_skips}).',
            logger='current',
            level=logging.WARNING)
        device = next(iter(losses.values())).device if losses else 'cpu'
        # a leaf with no path to the weights: backward and step change nothing
        zero = torch.zeros((), device=device, requires_grad=True)
        return zero, {'loss': zero.detach()}
