# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Fixes for running the OpenMMLab 2024-2025 releases on today's PyTorch.

``apply_all()`` runs when :mod:`lodaa_plugin` is imported, before any Runner or
model is built. Each fix is idempotent and lives in its own module:

- :mod:`.checkpoint`: mmengine checkpoints load on torch >= 2.6.
- :mod:`.distributed`: ``torchrun`` works on machines without a GPU (gloo).
- :mod:`.photometric`: ``mmcv.adjust_hue`` works on numpy 2 for negative hue.
- :mod:`.multimodal`: mmpretrain imports when a new ``transformers`` is installed.
"""
from .checkpoint import patch_checkpoint_loading
from .distributed import patch_distributed
from .multimodal import patch_mmpretrain_multimodal
from .photometric import adjust_hue, patch_adjust_hue

__all__ = [
    'apply_all', 'adjust_hue', 'patch_adjust_hue', 'patch_checkpoint_loading',
    'patch_distributed', 'patch_mmpretrain_multimodal'
]


def apply_all() -> None:
    """Apply every compatibility fix (safe to call more than once)."""
    patch_mmpretrain_multimodal()
    patch_checkpoint_loading()
    patch_distributed()
    patch_adjust_hue()
