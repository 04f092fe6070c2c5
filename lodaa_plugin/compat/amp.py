# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""bf16 mixed-precision training on the CPU.

mmengine 0.10.7's ``AmpOptimWrapper`` asserts that a GPU (or NPU, MLU, MUSA)
exists, although its autocast context already supports the CPU with
bfloat16, which PyTorch runs natively on CPUs with AVX-512 BF16 or AMX.
:class:`CPUAmpOptimWrapper`, registered in mmengine's ``OPTIM_WRAPPERS``, is
``AmpOptimWrapper`` with that assert left out on the CPU.
"""
from typing import Union

import torch
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` that also trains in bf16 on the CPU.

    With an accelerator it is ``AmpOptimWrapper``. Without one it accepts
    ``dtype='bfloat16'`` only and switches the loss scaler off: bf16 has
    fp32's exponent range, so there is no underflow to scale against.
    ``train.py --amp`` selects it on the CPU.

    Args:
        loss_scale (str, float or dict): As ``AmpOptimWrapper``; ignored on
            the CPU. Defaults to 'dynamic'.
        dtype (str or torch.dtype, optional): The autocast dtype. Defaults
            to None (float16 with an accelerator).
        use_fsdp (bool): As ``AmpOptimWrapper``; refused on the CPU.
        **kwargs: Everything :class:`mmengine.optim.OptimWrapper` accepts.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 use_fsdp: bool = False,
                 **kwargs) -> None:
        if is_cuda_available() or is_npu_available() or is_mlu_available(
        ) or is_musa_available():
            super().__init__(loss_scale, dtype, use_fsdp, **kwargs)
            return
        if use_fsdp:
            raise ValueError('AmpOptimWrapper(use_fsdp=True) needs a GPU')
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(
                f'AmpOptimWrapper(dtype={dtype!r}) needs a GPU; on the CPU '
                'mixed precision is bfloat16 only: --amp-dtype bfloat16 '
                "(or optim_wrapper.dtype='bfloat16').")
        # AmpOptimWrapper.__init__ is its GPU assert around these attributes
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
        self.cast_dtype = torch.bfloat16


def cpu_has_native_bf16() -> Union[str, None]:
    """Name the CPU feature that runs bf16 natively, if any.

    Returns:
        str or None: ``'amx_bf16'`` or ``'avx512_bf16'`` (from
        ``/proc/cpuinfo``), None without either or off Linux.
    """
    try:
        with open('/proc/cpuinfo') as f:
            flags = next((line.split(':', 1)[1].split()
                          for line in f if line.startswith('flags')), [])
    except OSError:
        return None
    return next((f for f in ('amx_bf16', 'avx512_bf16') if f in flags), None)
