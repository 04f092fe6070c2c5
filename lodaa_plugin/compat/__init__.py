# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Fixes for running the 2023-24 OpenMMLab releases on today's PyTorch.

Every change LODAA makes to another library lives here, each an idempotent
function (:func:`~.once.apply_once`) in its own module. Where mmengine has a
public extension point the fix is a registered component instead:

- :class:`~.amp.CPUAmpOptimWrapper` (``optim_wrapper.type``; ``--amp``
  selects it on the CPU): bf16 mixed precision without a GPU.
- :func:`~.distributed.prepare_distributed` (LODAA's launchers call it before
  building the Runner) and :class:`~.distributed.CPUDistributedDataParallel`
  (``model_wrapper_cfg``): ``torchrun`` and ``srun`` without a GPU (gloo).

The fixes of :data:`FIXES` are switched on by :func:`enable_compat` (LODAA's
tools call it) or by importing ``lodaa_plugin.compat.enable`` (LODAA's
configs list it in ``custom_imports``):

- :mod:`.checkpoint`: mmengine checkpoints load on torch >= 2.6.
- :mod:`.photometric`: ``mmcv.adjust_hue`` works on numpy 2 for negative hue.
- :mod:`.pretrained`: pretrained weights that cannot be downloaded say where
  torch looks for the file and how to train without them.

Apart, and opt-in too: :mod:`.registry_hints` ("did you mean" for an unknown
``type=``; ``lodaa_plugin.compat.enable_hints``), :mod:`.worker_signals`
(the DataLoader workers of
:class:`~lodaa_plugin.engine.hooks.PreemptionHook`) and :mod:`.mean_ap`
(``eval_map`` without forks, for the duration of LODAA's VOC metric).

``import lodaa_plugin`` registers its modules (those above included) and
changes exactly three things of other libraries (:data:`ON_IMPORT`):

- ``mmcv.utils.ext_loader.load_ext``, only for an mmcv without compiled ops
  (:mod:`.kernels`): without them mmdet.models does not import;
- ``mmpretrain.utils.dependency.WITH_MULTIMODAL``, only beside a
  transformers mmpretrain cannot import (:mod:`.multimodal`): without it
  mmpretrain.models does not import;
- ``mmengine.runner.checkpoint.CheckpointLoader._schemes['']``
  (:func:`.checkpoint.advise_compat_import`): torch's weights-only refusal
  of a checkpoint names the import that fixes it.
"""
from typing import Callable, Dict, List, Tuple

from mmengine.logging import print_log

from .amp import CPUAmpOptimWrapper, cpu_has_native_bf16
from .checkpoint import advise_compat_import, patch_checkpoint_loading
from .distributed import CPUDistributedDataParallel, prepare_distributed
from .kernels import install_kernel_fallbacks, report_kernel_fallbacks
from .multimodal import patch_mmpretrain_multimodal
from .once import apply_once
from .photometric import adjust_hue, patch_adjust_hue
from .pretrained import (PretrainedWeightsUnavailable, fetch_pretrained,
                         patch_pretrained_download)

#: What ``import lodaa_plugin`` changes in other libraries, and when and
#: why; tests/test_compat/test_opt_in.py holds an import to this list.
ON_IMPORT: Dict[str, str] = {
    'mmcv.utils.ext_loader.load_ext':
    'only for an mmcv without compiled ops (mmcv-lite): torchvision kernels '
    '(install_kernel_fallbacks); without them mmdet.models does not import',
    'mmpretrain.utils.dependency.WITH_MULTIMODAL':
    'only beside a transformers that lacks names mmpretrain 1.2 imports: '
    "mmpretrain's multimodal models off (patch_mmpretrain_multimodal); "
    'without it mmpretrain.models does not import',
    "mmengine.runner.checkpoint.CheckpointLoader._schemes['']":
    "mmengine's local loader wrapped so that torch's weights-only refusal "
    'names the import that fixes it (advise_compat_import)',
}

# (function, why), in the order they are applied
FIXES: List[Tuple[Callable[[], bool], str]] = [
    (patch_checkpoint_loading,
     "torch>=2.6 torch.load(weights_only=True) refuses mmengine's own "
     'checkpoints (HistoryBuffer, numpy state)'),
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
     'PyTorch, any other mmcv kernel raises an error naming itself '
     '(installed by import lodaa_plugin)'),
]

__all__ = [
    'CPUAmpOptimWrapper', 'CPUDistributedDataParallel', 'FIXES', 'ON_IMPORT',
    'PretrainedWeightsUnavailable', 'adjust_hue', 'advise_compat_import',
    'apply_once', 'cpu_has_native_bf16', 'enable_compat',
    'install_kernel_fallbacks', 'patch_adjust_hue', 'patch_checkpoint_loading',
    'patch_mmpretrain_multimodal', 'patch_pretrained_download',
    'fetch_pretrained', 'prepare_distributed', 'report_kernel_fallbacks'
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
