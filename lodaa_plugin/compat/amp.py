# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""bf16 mixed-precision training on the CPU.

mmengine 0.10.7's ``AmpOptimWrapper`` asserts that a GPU (or NPU, MLU, MUSA)
exists, although its autocast context already supports the CPU with
bfloat16, which PyTorch runs natively on CPUs with AVX-512 BF16 or AMX.
Without an accelerator the wrapper is allowed for ``dtype='bfloat16'`` and
its loss scaler is switched off: bf16 has fp32's exponent range, so there is
no underflow to scale against. float16 on the CPU is refused with the way
out. With an accelerator nothing changes.
"""
import functools
from typing import Union

import torch

_PATCHED_FLAG = '_lodaa_patched'


def _accelerator_available() -> bool:
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_musa_available, is_npu_available)
    return is_cuda_available() or is_npu_available() or is_mlu_available(
    ) or is_musa_available()


def patch_amp_on_cpu() -> bool:
    """Let ``AmpOptimWrapper`` train in bf16 on the CPU.

    Returns:
        bool: True if this call changed anything.
    """
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp_module
    wrapper = amp_module.AmpOptimWrapper
    original = wrapper.__init__
    if getattr(original, _PATCHED_FLAG, False):
        return False

    @functools.wraps(original)
    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 use_fsdp: bool = False,
                 **kwargs) -> None:
        if _accelerator_available():
            return original(self, loss_scale, dtype, use_fsdp, **kwargs)
        if use_fsdp:
            raise ValueError('AmpOptimWrapper(use_fsdp=True) needs a GPU')
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(
                f'AmpOptimWrapper(dtype={dtype!r}) needs a GPU; on the CPU '
                "mixed precision is bfloat16 only: --amp-dtype bfloat16 "
                "(or optim_wrapper.dtype='bfloat16').")
        # for the duration of the call: its GPU assert passes and its loss
        # scaler is a disabled CPU one (no CUDA scaler, no warning)
        saved = amp_module.is_cuda_available, amp_module.GradScaler
        amp_module.is_cuda_available = lambda: True
        amp_module.GradScaler = lambda **_: torch.amp.GradScaler(
            'cpu', enabled=False)
        try:
            original(self, 'dynamic', dtype, use_fsdp=False, **kwargs)
        finally:
            amp_module.is_cuda_available, amp_module.GradScaler = saved

    setattr(__init__, _PATCHED_FLAG, True)
    wrapper.__init__ = __init__
    return True


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
