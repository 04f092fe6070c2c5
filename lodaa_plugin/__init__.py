# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA ("Look Once Detect All"): FCOS detection and multi-label
classification on PASCAL VOC for MMDetection and MMPretrain.

Importing the package applies the compatibility fixes for today's PyTorch
(:mod:`lodaa_plugin.compat`), makes mmengine's checkpoint writes atomic,
adds "did you mean" hints to unknown ``type=`` errors, and registers every
module into the mmdet and mmpretrain registries, so a config only needs
``custom_imports = dict(imports=['lodaa_plugin'], allow_failed_imports=False)``.
"""
from .version import __version__
from .compat import apply_all as _apply_compat

_apply_compat()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

engine.patch_atomic_local_writes()
engine.patch_registry_hints()

__all__ = ['__version__']
