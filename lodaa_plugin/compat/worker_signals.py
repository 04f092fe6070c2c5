# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""DataLoader workers that outlive a stop signal sent to the whole job.

Clusters and shells signal every process of a job, not only the trainer:
SLURM's ``scancel`` and preemption reach each process of the step, ``timeout``
and Ctrl-C reach the whole process group. A DataLoader worker dies of such a
SIGTERM (PyTorch's worker handler re-raises it), and the trainer then fails
with "DataLoader worker (pid N) is killed by signal" before it can save.
Workers stopped this way have nothing to save; their parent decides, and
shuts them down through the DataLoader when it exits.

This wraps PyTorch's private ``_set_worker_signal_handlers``: the only public
point that runs in a worker after PyTorch installs its handlers is the
DataLoader's ``worker_init_fn``, which mmengine builds from the Runner's
seed (a config's ``worker_init_fn`` replaces that seeding), and an
iteration-based loop forks its workers while the Runner builds it, before
any hook could set one.
"""
import atexit
import multiprocessing
import os
import signal
from typing import Iterable, Optional, Set

from torch.utils.data._utils import signal_handling

from .once import apply_once

_SHIELDED: Set[int] = set()
# set by the parent as it exits: the SIGTERM then comes from multiprocessing
# ending its daemonic children, and a worker must go (shared through fork)
_PARENT_EXITING: Optional[object] = None


def _parent_exits() -> None:
    _PARENT_EXITING.value = 1


def _worker_sigterm(signum: int, frame) -> None:
    if _PARENT_EXITING.value:
        os._exit(0)


def shield_dataloader_workers(signals: Iterable[int]) -> None:
    """Make every DataLoader worker forked from now on ignore ``signals``.

    PyTorch installs its worker signal handlers first thing in each worker
    (``_set_worker_signal_handlers``); this wraps that call, so the signals
    are ignored after it. A worker still ends when the loader shuts it down,
    when its parent exits (a SIGTERM then ends it, as PyTorch's handler
    does), and by itself when its parent dies. Safe to call more than once.

    Args:
        signals (Iterable[int]): Signal numbers, e.g. ``signal.SIGTERM``.
    """
    _SHIELDED.update(int(s) for s in signals)
    _wrap_worker_signal_handlers()


@apply_once
def _wrap_worker_signal_handlers() -> bool:
    global _PARENT_EXITING
    _PARENT_EXITING = multiprocessing.RawValue('b', 0)
    # runs before multiprocessing's own exit handler (registered earlier),
    # which sends its daemonic children SIGTERM and waits for them
    atexit.register(_parent_exits)
    torch_handlers = signal_handling._set_worker_signal_handlers

    def set_worker_signal_handlers(*args, **kwargs):
        torch_handlers(*args, **kwargs)
        for signum in _SHIELDED:
            signal.signal(
                signum, _worker_sigterm
                if signum == signal.SIGTERM else signal.SIG_IGN)

    signal_handling._set_worker_signal_handlers = set_worker_signal_handlers
    return True


def unshield_dataloader_workers(signals: Iterable[int]) -> None:
    """Let DataLoader workers forked from now on act on ``signals`` again.

    Args:
        signals (Iterable[int]): Signal numbers.
    """
    _SHIELDED.difference_update(int(s) for s in signals)
