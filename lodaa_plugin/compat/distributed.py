# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""``torchrun`` and ``srun`` on machines without a GPU.

mmengine 0.10.7 calls ``torch.cuda.set_device(LOCAL_RANK)`` unconditionally
when it initialises a ``pytorch`` or ``slurm`` launcher, defaults to the nccl
backend, and its Runner wraps the model in DDP with
``device_ids=[LOCAL_RANK]``. All three fail on the CPU.
:func:`prepare_distributed`, called by a launcher before it builds the
Runner, initialises a gloo process group itself (the Runner then skips its
own initialisation) and selects :class:`CPUDistributedDataParallel` through
``model_wrapper_cfg``. With CUDA it changes nothing.
"""
import datetime
import logging
import os
import subprocess
from typing import MutableMapping

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed
from mmengine.logging import print_log
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for a model on the CPU.

    mmengine's Runner gives every DDP wrapper ``device_ids=[LOCAL_RANK]``,
    which DDP refuses for a CPU module; they are dropped here.

    Args:
        module (torch.nn.Module): The model.
        detect_anomalous_params (bool): As ``MMDistributedDataParallel``.
        **kwargs: DDP's arguments; ``device_ids`` and ``output_device`` are
            ignored.
    """

    def __init__(self,
                 module: torch.nn.Module,
                 detect_anomalous_params: bool = False,
                 **kwargs) -> None:
        kwargs.pop('device_ids', None)
        kwargs.pop('output_device', None)
        super().__init__(
            module=module,
            detect_anomalous_params=detect_anomalous_params,
            **kwargs)


def _slurm_environment(port=None) -> None:
    """Set what torch's ``env://`` reads from SLURM's variables, as
    mmengine's slurm launcher does."""
    os.environ['MASTER_PORT'] = str(
        port or os.environ.get('MASTER_PORT', 29500))
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {nodes} | head -n1')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    os.environ['RANK'] = os.environ['SLURM_PROCID']


def prepare_distributed(cfg: MutableMapping) -> bool:
    """Initialise a gloo process group and select a CPU DDP wrapper, for a
    ``pytorch`` or ``slurm`` launcher on a machine without CUDA.

    Call it before the Runner is built; with CUDA, without a launcher or
    with a process group already in place it does nothing.

    Args:
        cfg (MutableMapping): A config or the Runner's keyword arguments:
            ``launcher`` and ``env_cfg.dist_cfg`` are read,
            ``model_wrapper_cfg`` is set when it is missing or mmengine's
            default.

    Returns:
        bool: True if this call initialised the process group.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher not in ('pytorch', 'slurm') or torch.cuda.is_available() \
            or is_distributed():
        return False
    dist_cfg = dict((cfg.get('env_cfg') or {}).get('dist_cfg') or {})
    backend = dist_cfg.pop('backend', 'nccl')
    if dist_cfg.pop('init_backend', 'torch') != 'torch':
        raise RuntimeError('init_backend needs a GPU; without one only '
                           "'torch' (gloo) is supported.")
    if backend != 'gloo':
        print_log(
            f'No CUDA device: using the gloo backend instead of {backend}.',
            logger='current',
            level=logging.WARNING)
    if launcher == 'slurm':
        _slurm_environment(dist_cfg.pop('port', None))
    if dist_cfg.get('timeout') is not None:
        dist_cfg['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    torch_dist.init_process_group(backend='gloo', **dist_cfg)
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        # mmengine's own default wrapper arguments
        cfg['model_wrapper_cfg'] = dict(
            type='CPUDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    elif wrapper.get('type') in (None, 'MMDistributedDataParallel',
                                 MMDistributedDataParallel):
        wrapper['type'] = 'CPUDistributedDataParallel'
    return True
