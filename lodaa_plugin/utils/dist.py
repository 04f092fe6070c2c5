# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Process-group teardown for the launchers."""


def close_distributed() -> None:
    """Destroy the process group, if any, before the interpreter exits.

    mmengine leaves it open; a gloo group torn down by interpreter exit can
    abort a finished worker ("terminate called without an active
    exception", status 134), which fails the whole torchrun or srun job.
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
