# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Stop (or skip) a training step whose loss is not finite."""
import logging
from typing import Dict, Tuple

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def _elements(value) -> torch.Tensor:
    """Flatten a loss part (a tensor or a list of tensors)."""
    if isinstance(value, (list, tuple)):
        return torch.cat([torch.as_tensor(v).float().flatten() for v in value])
    return torch.as_tensor(value).float().flatten()


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Check every loss part before the optimizer step.

    By default a NaN or infinite part stops training with the iteration and
    the parts that went non-finite, before the weights are touched. With
    ``skip=True`` that step updates nothing, a warning is logged, the skips
    are counted, and training stops after ``max_skips`` of them.

    Not mmdet's ``CheckInvalidLossHook``, because that one looks at the
    total loss after the update (the weights are already NaN) and only
    every ``interval`` iterations; this one checks each part before it.

    Args:
        skip (bool): Skip the step instead of stopping (single process
            only). Defaults to False.
        max_skips (int): Most steps to skip before stopping anyway.
            Defaults to 100.
    """

    priority = 'VERY_HIGH'

    def __init__(self, skip: bool = False, max_skips: int = 100) -> None:
        self.skip = skip
        self.max_skips = max_skips
        self.skipped = 0

    def before_train(self, runner) -> None:
        """Wrap the model's ``parse_losses`` with the check."""
        if self.skip and get_world_size() > 1:
            raise RuntimeError(
                'NonFiniteLossHook(skip=True) runs in a single process: a '
                'skipped step on one rank would stall the others.')
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
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
                return original(losses)
            bad = {
                n: v.sum()
                for (n, v), ok in zip(parts.items(), finite) if not ok
            }
            return hook._handle(runner, bad, losses, original)

        model.parse_losses = parse_losses

    def _handle(self, runner, bad: dict, losses: dict, original):
        parts = ', '.join(f'{name}={float(v):g}' for name, v in bad.items())
        where = f'iteration {runner.iter + 1} (epoch {runner.epoch + 1})'
        if not self.skip or self.skipped >= self.max_skips:
            reason = (f'after {self.skipped} skipped steps' if self.skip else
                      'set custom_hooks=[dict(type="NonFiniteLossHook",'
                      ' skip=True)] to skip such steps instead')
            raise FloatingPointError(
                f'Non-finite loss at {where}: {parts}. Training stopped '
                f'before the update ({reason}).')
        self.skipped += 1
        print_log(
            f'Non-finite loss at {where}: {parts}; step skipped '
            f'({self.skipped}/{self.max_skips}).',
            logger='current',
            level=logging.WARNING)
        device = next(iter(losses.values())).device if losses else 'cpu'
        # a leaf with no path to the weights: backward and step change nothing
        zero = torch.zeros((), device=device, requires_grad=True)
        return zero, {'loss': zero.detach()}
