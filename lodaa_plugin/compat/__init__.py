# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Fixes for running the 2023-24 OpenMMLab releases on today's PyTorch.

Importing this package changes nothing. The fixes are switched on by
:func:`enable_compat` (LODAA's tools call it) or by importing
``lodaa_plugin.compat.enable`` (LODAA's configs list it in
``custom_imports``). Each fix is a named, idempotent function in its own
module:

- :mod:`.checkpoint`: mmengine checkpoints load on torch >= 2.6.
- :mod:`.distributed`: ``torchrun`` works on machines without a GPU (gloo).
- :mod:`.amp`: ``AmpOptimWrapper`` trains in bf16 on the CPU.
- :mod:`.photometric`: ``mmcv.adjust_hue`` works on numpy 2 for negative hue.
- :mod:`.pretrained`: pretrained weights that cannot be downloaded say where
  torch looks for the file and how to train without them.

Two guards run on ``import lodaa_plugin``, each only where another library
could not be imported otherwise: :mod:`.kernels` (mmcv without compiled ops:
torchvision kernels; :func:`enable_compat` reports it) and :mod:`.multimodal`
(see their docstrings).
"""
from typing import Callable, List, Tuple

from mmengine.logging import print_log

from .amp import cpu_has_native_bf16, patch_amp_on_cpu
from .checkpoint import patch_checkpoint_loading
from .distributed import patch_distributed
from .kernels import install_kernel_fallbacks, report_kernel_fallbacks
from .multimodal import patch_mmpretrain_multimodal
from .photometric import adjust_hue, patch_adjust_hue
from .pretrained import PretrainedWeightsUnavailable, patch_pretrained_download

# (function, why), in the order they are applied
FIXES: List[Tuple[Callable[[], bool], str]] = [
    (patch_checkpoint_loading,
     "torch>=2.6 torch.load(weights_only=True) refuses mmengine's own "
     'checkpoints (HistoryBuffer, numpy state)'),
    (patch_distributed,
     'mmengine 0.10 initialises torchrun and srun with CUDA calls and nccl; '
     'without a GPU it uses gloo'),
    (patch_amp_on_cpu,
     "mmengine 0.10's AmpOptimWrapper asserts a GPU; on the CPU it trains "
     'in bf16 (no loss scaling)'),
    (patch_adjust_hue,
     "numpy 2 raises OverflowError in mmcv 2.1's adjust_hue for a negative "
     'hue'),
    (patch_pretrained_download,
     'offline, mmengine ends a torchvision:// or URL download in a bare '
     'URLError; it names the file, where torch looks for it, and '
     'model.backbone.init_cfg=None'),
    (report_kernel_fallbacks,
     'mmcv has no compiled ops (mmcv-lite): nms, soft_nms, roi_align, '
     'sigmoid_focal_loss and deformable convolution run on torchvision / '
     'PyTorch, any other mmcv '
     'kernel raises an error naming itself (installed by import '
     'lodaa_plugin)'),
]

__all__ = [
    'FIXES', 'PretrainedWeightsUnavailable', 'adjust_hue',
    'cpu_has_native_bf16', 'enable_compat', 'install_kernel_fallbacks',
    'report_kernel_fallbacks', 'patch_adjust_hue', 'patch_amp_on_cpu',
    'patch_checkpoint_loading', 'patch_distributed',
    'patch_mmpretrain_multimodal', 'patch_pretrained_download'
]


def enable_compat() -> List[str]:
    """Apply every fix of :data:`FIXES`; safe to call more than once.

    Logs once, naming the fixes it applied and why.

    Returns:
        list[str]: Names of the fixes applied by this call (empty when all
        were already in place).
    """
    applied = [(fn.__name__, why) for fn, why in FIXES if fn()]
    if applied:
        lines = '\n'.join(f'  - {name}: {why}' for name, why in applied)
        print_log(
            f'LODAA compatibility fixes enabled (lodaa_plugin.compat):\n'
            f'{lines}',
            logger='current')
    return [name for name, _ in applied]
