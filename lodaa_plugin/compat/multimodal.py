# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Keep ``import mmpretrain.models`` working when ``transformers`` is new.

mmpretrain 1.2.0 imports its multimodal models (BLIP, OFA, ...) whenever
``transformers>=4.28`` is installed, and they import names that later
transformers releases removed, so the whole ``mmpretrain.models`` import fails.
LODAA uses none of them: when those names are missing we switch mmpretrain's
multimodal support off, which registers its usual "please install"
placeholders.

It runs on ``import lodaa_plugin`` rather than on opt-in: LODAA's
classification modules subclass mmpretrain's, so without it ``import
lodaa_plugin`` itself would fail. When transformers is absent or
compatible it changes nothing.
"""
import importlib
import logging
import sys

from .once import apply_once

# Names mmpretrain's multimodal code imports at module level.
_REQUIRED = {
    'transformers.modeling_utils':
    ('apply_chunking_to_forward', 'GenerationConfig', 'GenerationMixin',
     'PreTrainedModel'),
}


def _transformers_compatible() -> bool:
    try:
        for module_name, names in _REQUIRED.items():
            module = importlib.import_module(module_name)
            if not all(hasattr(module, name) for name in names):
                return False
    except Exception:  # a broken transformers install is incompatible too
        return False
    return True


@apply_once
def patch_mmpretrain_multimodal() -> bool:
    """Turn off mmpretrain's multimodal models if they cannot import.

    Returns:
        bool: True if this call turned them off.
    """
    from mmpretrain.utils import dependency
    if not dependency.WITH_MULTIMODAL:
        return False
    if 'mmpretrain.models' in sys.modules:
        return False  # too late to change; it imported fine or failed
    if _transformers_compatible():
        return False
    from mmengine.logging import print_log
    dependency.WITH_MULTIMODAL = False
    print_log(
        'The installed transformers lacks names mmpretrain 1.2 needs; '
        "mmpretrain's multimodal models are disabled.",
        logger='current',
        level=logging.WARNING)
    return True
