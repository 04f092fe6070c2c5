# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Refuse to resume an EMA run without EMA."""
from mmengine.hooks import EMAHook, Hook
from mmengine.registry import HOOKS
from mmengine.runner import find_latest_checkpoint


@HOOKS.register_module()
class EMAResumeCheckHook(Hook):
    """Stop a resume that would silently continue from the averaged weights.

    A run with mmengine's ``EMAHook`` (``tools/train.py --ema``) saves the
    averaged weights as ``state_dict`` and the raw ones as
    ``ema_state_dict``. Resumed without ``EMAHook``, mmengine loads the
    average into the model and drops the raw weights, and training goes on
    from other weights than it stopped at. This hook refuses that before
    any weight is loaded, naming the file and the fix. Loading such a file
    with ``load_from`` (fine-tuning, testing) is not a resume and is left
    alone: the average is the model then.
    """

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse an EMA checkpoint resumed by a run without EMAHook.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The checkpoint being loaded.

        Raises:
            RuntimeError: When it is resumed and the run has no EMAHook.
        """
        if not runner._resume or 'ema_state_dict' not in checkpoint:
            return
        if any(isinstance(hook, EMAHook) for hook in runner.hooks):
            return
        path = runner._load_from or find_latest_checkpoint(runner.work_dir)
        raise RuntimeError(
            f'{path} was saved by a run with EMA (--ema, mmengine EMAHook): '
            'its state_dict holds the averaged weights and ema_state_dict '
            'the raw ones. Resumed without EMA, training would continue from '
            'the average and drop the raw weights. Resume with --ema (or the '
            "config's EMAHook); to start a new run from the averaged "
            'weights, use --cfg-options load_from=FILE without --resume.')
