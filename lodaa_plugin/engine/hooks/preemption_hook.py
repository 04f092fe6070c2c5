# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Save and stop cleanly when the scheduler announces a kill."""
import logging
import os.path as osp
import signal
import sys
from typing import List, Optional, Sequence

import torch
from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

from ...compat.worker_signals import (shield_dataloader_workers,
                                      unshield_dataloader_workers)
from ...utils import ATOMIC_BACKEND, atomic_write_bytes
from ...utils.exit_status import record_exit_status

# EX_TEMPFAIL: "try again later", what a requeued job should do
PREEMPTED_EXIT_CODE = 75
# 128 + SIGINT, what a shell reports for a job stopped by Ctrl-C
INTERRUPTED_EXIT_CODE = 130
DEFAULT_SIGNALS = ('SIGTERM', 'SIGUSR1')
# a signal that arrived before the hook existed (listen_for_preemption)
_EARLY = {'received': None}
# the signals listen_for_preemption took over
_LISTENING: List[int] = []


def _note_early(signum: int, frame) -> None:
    if signum == signal.SIGINT:
        if _EARLY['received'] == signal.SIGINT:
            raise KeyboardInterrupt  # Ctrl-C twice: stop at once
        print(
            '\nCtrl-C: stopping before training starts; press Ctrl-C again '
            'to stop at once.',
            file=sys.stderr,
            flush=True)
    if _EARLY['received'] is None:
        _EARLY['received'] = signum


def listen_for_preemption(signals: Sequence[str] = DEFAULT_SIGNALS,
                          interrupt: bool = True) -> None:
    """Note the preemption signals (and Ctrl-C) from now on, for the
    :class:`PreemptionHook` built later (a launcher calls this first: a
    signal while the config, model or data are still being built would
    otherwise end the process with the signal's default action), and keep
    DataLoader workers alive through them.

    Args:
        signals (Sequence[str]): Signal names. Defaults to SIGTERM and
            SIGUSR1.
        interrupt (bool): Note SIGINT too. Defaults to True.
    """
    numbers = [getattr(signal, name) for name in signals]
    numbers += [signal.SIGINT] if interrupt else []
    shield_dataloader_workers(numbers)
    for signum in numbers:
        try:
            signal.signal(signum, _note_early)
        except ValueError:  # not the main thread
            return
        _LISTENING.append(signum)


def _default_action(signum: int):
    return signal.default_int_handler if signum == signal.SIGINT \
        else signal.SIG_DFL


def release_unhooked_signals(hooks: Sequence[Hook]) -> None:
    """Give the signals :func:`listen_for_preemption` took over their usual
    action back when the run has no :class:`PreemptionHook`, so that they
    are not noted and ignored for the whole run; one that already arrived
    is delivered again.

    Args:
        hooks (Sequence[Hook]): The runner's hooks (``runner.hooks``).
    """
    if any(isinstance(hook, PreemptionHook) for hook in hooks):
        return
    unshield_dataloader_workers(_LISTENING)
    for signum in _LISTENING:
        signal.signal(signum, _default_action(signum))
    _LISTENING.clear()
    if _EARLY['received'] is not None:
        signal.raise_signal(_EARLY['received'])


@HOOKS.register_module()
class PreemptionHook(Hook):
    """On SIGTERM or SIGUSR1, finish the iteration, save, and exit with 75;
    on Ctrl-C the same with 130, and a second Ctrl-C stops at once.

    SLURM (``--signal``), Kubernetes and cloud spot instances send such a
    signal some time before they kill a job, often to every process of it.
    This hook lets the current iteration end, writes
    ``preempted_iter_<N>.pth`` atomically, points ``last_checkpoint`` at
    it, and exits with status 75 (``EX_TEMPFAIL``), so a requeued job
    continues with ``tools/train.py CONFIG --resume``. DataLoader workers
    ignore these signals
    (:func:`~lodaa_plugin.compat.worker_signals.shield_dataloader_workers`)
    so that a signal to the whole process group does not kill them before
    the checkpoint is written. Iteration-based loops (LODAA's detection
    configs) continue exactly where they stopped; epoch-based loops restart
    the interrupted epoch, as mmengine resumes them. In a distributed job
    every rank stops at the same iteration.

    Args:
        signals (Sequence[str]): Signal names to act on. Defaults to
            ``('SIGTERM', 'SIGUSR1')``.
        exit_code (int): Exit status after saving. Defaults to 75.
        save_on_interrupt (bool): Treat the first Ctrl-C (SIGINT) the same
            way, exiting with 130; a second one raises KeyboardInterrupt at
            once. False leaves Ctrl-C to Python (KeyboardInterrupt, nothing
            saved). Defaults to True.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 signals: Sequence[str] = DEFAULT_SIGNALS,
                 exit_code: int = PREEMPTED_EXIT_CODE,
                 save_on_interrupt: bool = True) -> None:
        self.signals = [getattr(signal, name) for name in signals]
        if save_on_interrupt:
            self.signals.append(signal.SIGINT)
        for signum in set(_LISTENING) - set(self.signals):
            # listen_for_preemption took it; this hook does not act on it
            unshield_dataloader_workers([signum])
            signal.signal(signum, _default_action(signum))
        self.exit_code = exit_code
        self.received: Optional[int] = _EARLY['received']
        # workers forked for the train loop are built before any hook runs
        shield_dataloader_workers(self.signals)
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

    def _exit_code(self) -> int:
        if self.received == signal.SIGINT:
            return INTERRUPTED_EXIT_CODE
        return self.exit_code

    def _exit(self) -> None:
        code = self._exit_code()
        record_exit_status(code)
        sys.exit(code)

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
                f'{self._exit_code()}. Continue with tools/train.py CONFIG '
                '--resume.',
                logger='current',
                level=logging.WARNING)
        self._exit()

    def _note(self, signum: int, frame) -> None:
        if signum == signal.SIGINT:
            if self.received == signal.SIGINT:
                raise KeyboardInterrupt  # Ctrl-C twice: stop at once
            if self.received is None:
                # print, not log: a handler must not take the logger's lock
                print(
                    '\nCtrl-C: saving a checkpoint after this iteration; '
                    'press Ctrl-C again to stop at once.',
                    file=sys.stderr,
                    flush=True)
        if self.received is None:
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
                f'{runner.iter + 1}; exiting with {self._exit_code()}. '
                'Continue with tools/train.py CONFIG --resume.',
                logger='current',
                level=logging.WARNING)
        self._exit()
