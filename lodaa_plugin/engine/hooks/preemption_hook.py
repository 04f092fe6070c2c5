# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Save and stop cleanly when the scheduler announces a kill."""
import logging
import os.path as osp
import signal
import sys
from typing import Optional, Sequence

import torch
from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

from ...utils import ATOMIC_BACKEND, atomic_write_bytes

# EX_TEMPFAIL: "try again later", what a requeued job should do
PREEMPTED_EXIT_CODE = 75
DEFAULT_SIGNALS = ('SIGTERM', 'SIGUSR1')
# a signal that arrived before the hook existed (listen_for_preemption)
_EARLY = {'received': None}


def _note_early(signum: int, frame) -> None:
    _EARLY['received'] = signum


def listen_for_preemption(signals: Sequence[str] = DEFAULT_SIGNALS) -> None:
    """Note the preemption signals from now on, for the
    :class:`PreemptionHook` built later (a launcher calls this first: a
    signal while the config, model or data are still being built would
    otherwise end the process with the signal's default action).

    Args:
        signals (Sequence[str]): Signal names. Defaults to SIGTERM and
            SIGUSR1.
    """
    for name in signals:
        try:
            signal.signal(getattr(signal, name), _note_early)
        except ValueError:  # not the main thread
            return


@HOOKS.register_module()
class PreemptionHook(Hook):
    """On SIGTERM or SIGUSR1, finish the iteration, save, and exit with 75.

    SLURM (``--signal``), Kubernetes and cloud spot instances send such a
    signal some time before they kill a job. This hook lets the current
    iteration end, writes ``preempted_iter_<N>.pth`` atomically, points
    ``last_checkpoint`` at it, and exits with status 75 (``EX_TEMPFAIL``),
    so a requeued job continues with ``tools/train.py CONFIG --resume``.
    Iteration-based loops (LODAA's detection configs) continue exactly
    where they stopped; epoch-based loops restart the interrupted epoch, as
    mmengine resumes them. In a distributed job every rank stops at the
    same iteration.

    Args:
        signals (Sequence[str]): Signal names to act on. Defaults to
            ``('SIGTERM', 'SIGUSR1')``.
        exit_code (int): Exit status after saving. Defaults to 75.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 signals: Sequence[str] = DEFAULT_SIGNALS,
                 exit_code: int = PREEMPTED_EXIT_CODE) -> None:
        self.signals = [getattr(signal, name) for name in signals]
        self.exit_code = exit_code
        self.received: Optional[int] = _EARLY['received']
        # from the runner's construction on, before data and model loading
        self._listen()

    def _listen(self) -> None:
        """Listen for the signals (in the main thread only, as Python
        allows)."""
        for signum in self.signals:
            try:
                signal.signal(signum, self._note)
            except ValueError:  # not the main thread
                return

    def before_train(self, runner) -> None:
        """Stop at once, with nothing to save, when a signal came before
        training started; else keep listening.

        Args:
            runner (Runner): The runner.
        """
        self._listen()
        if self.received is None:
            return
        if is_main_process():
            print_log(
                f'{signal.Signals(self.received).name} received before '
                f'training started: nothing to save; exiting with '
                f'{self.exit_code}. Continue with tools/train.py CONFIG '
                '--resume.',
                logger='current',
                level=logging.WARNING)
        sys.exit(self.exit_code)

    def _note(self, signum: int, frame) -> None:
        self.received = signum

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Save and exit once a signal has arrived (on any rank)."""
        stop = torch.tensor(float(self.received is not None))
        if get_world_size() > 1:
            torch.distributed.all_reduce(stop, torch.distributed.ReduceOp.MAX)
        if not stop.item():
            return
        filename = f'preempted_iter_{runner.iter + 1}.pth'
        runner.save_checkpoint(
            runner.work_dir,
            filename,
            by_epoch=False,
            backend_args=dict(backend=ATOMIC_BACKEND))
        if is_main_process():
            path = osp.join(runner.work_dir, filename)
            atomic_write_bytes(path.encode(),
                               osp.join(runner.work_dir, 'last_checkpoint'))
            name = signal.Signals(self.received).name if self.received \
                else 'a signal on another rank'
            print_log(
                f'{name} received: saved {path} after iteration '
                f'{runner.iter + 1}; exiting with {self.exit_code}. Continue '
                'with tools/train.py CONFIG --resume.',
                logger='current',
                level=logging.WARNING)
        sys.exit(self.exit_code)
