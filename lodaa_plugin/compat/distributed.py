# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""``torchrun`` and ``srun`` on machines without a GPU.

mmengine 0.10.7 calls ``torch.cuda.set_device(LOCAL_RANK)`` unconditionally
when it initialises a ``pytorch`` or ``slurm`` launcher, defaults to the nccl
backend, and its Runner wraps the model in DDP with
``device_ids=[LOCAL_RANK]``. All three fail on CPU. Without CUDA we use gloo,
skip ``set_device`` and let DDP run on the module's own (CPU) device; with
CUDA nothing changes.
"""
import contextlib
import functools
import logging
from typing import Iterator

import torch

_PATCHED_FLAG = '_lodaa_patched'


def patch_distributed() -> bool:
    """Make mmengine's pytorch and slurm launchers and DDP wrapper CPU-capable.

    Returns:
        bool: True if this call changed anything.
    """
    import mmengine.dist.utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel

    applied = False
    original_init = dist_utils._init_dist_pytorch
    if not getattr(original_init, _PATCHED_FLAG, False):
        applied = True

        @functools.wraps(original_init)
        def _init_dist_pytorch(backend: str = 'nccl', *args, **kwargs):
            if torch.cuda.is_available():
                return original_init(backend, *args, **kwargs)
            _check_cpu_backend(backend, kwargs.pop('init_backend', 'torch'))
            torch.distributed.init_process_group(backend='gloo', **kwargs)

        setattr(_init_dist_pytorch, _PATCHED_FLAG, True)
        dist_utils._init_dist_pytorch = _init_dist_pytorch

    original_slurm = dist_utils._init_dist_slurm
    if not getattr(original_slurm, _PATCHED_FLAG, False):
        applied = True

        @functools.wraps(original_slurm)
        def _init_dist_slurm(backend: str = 'nccl', *args, **kwargs):
            if torch.cuda.is_available():
                return original_slurm(backend, *args, **kwargs)
            _check_cpu_backend(backend, kwargs.get('init_backend', 'torch'))
            # mmengine's own code sets the SLURM-derived RANK, WORLD_SIZE,
            # MASTER_ADDR; only its set_device call is left out
            with _without_set_device():
                original_slurm('gloo', *args, **kwargs)

        setattr(_init_dist_slurm, _PATCHED_FLAG, True)
        dist_utils._init_dist_slurm = _init_dist_slurm

    ddp_init = MMDistributedDataParallel.__init__
    if not getattr(ddp_init, _PATCHED_FLAG, False):
        applied = True

        @functools.wraps(ddp_init)
        def __init__(self, module, detect_anomalous_params=False, **kwargs):
            # device_ids must be None for modules that live on the CPU.
            first = next(module.parameters(), None)
            if first is not None and first.device.type == 'cpu':
                kwargs.pop('device_ids', None)
                kwargs.pop('output_device', None)
            ddp_init(
                self,
                module=module,
                detect_anomalous_params=detect_anomalous_params,
                **kwargs)

        setattr(__init__, _PATCHED_FLAG, True)
        MMDistributedDataParallel.__init__ = __init__
    return applied


def _check_cpu_backend(backend: str, init_backend: str) -> None:
    """Log the switch to gloo; refuse launchers that need a GPU."""
    from mmengine.logging import print_log
    if init_backend != 'torch':
        raise RuntimeError(
            f'init_backend={init_backend!r} needs a GPU; without one '
            "only 'torch' (gloo) is supported.")
    if backend != 'gloo':
        print_log(
            f'No CUDA device: using the gloo backend instead of {backend}.',
            logger='current',
            level=logging.WARNING)


@contextlib.contextmanager
def _without_set_device() -> Iterator[None]:
    """Make ``torch.cuda.set_device`` a no-op for the duration."""
    set_device = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = set_device
