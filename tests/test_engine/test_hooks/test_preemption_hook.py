# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""PreemptionHook: a signal before a kill ends in a checkpoint and exit 75,
and --resume finishes with the weights of an uninterrupted run."""
import glob
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from lodaa_plugin.engine.hooks import (INTERRUPTED_EXIT_CODE,
                                       PREEMPTED_EXIT_CODE,
                                       listen_for_preemption,
                                       release_unhooked_signals)
from lodaa_testing import python_env
from lodaa_testing.toy import final_weights, run_toy, toy_command


def _group(pgid: int) -> list:
    """The pids of the processes in process group ``pgid``."""
    pids = []
    for stat in glob.glob('/proc/[0-9]*/stat'):
        try:
            fields = open(stat).read().rsplit(')', 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[2]) == pgid:
            pids.append(int(stat.split('/')[2]))
    return pids


def _training_toy(work, options, sleep: str, group: bool):
    """Start a 40-iteration toy job and return once it trains (its log
    names iterations)."""
    env = python_env()
    env['TOY_SLEEP'] = sleep
    proc = subprocess.Popen(
        toy_command([work, 40, *options]),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=group)
    deadline = time.time() + 120
    while time.time() < deadline and not list(work.glob('*/vis_data')):
        time.sleep(0.05)
    return proc


def _preempt_and_resume(tmp_path, signum, workers=0, group=False):
    """Run the toy job straight, then signal one like it (its main process,
    or its whole process group) while it trains, resume it, and compare."""
    options = ['--by-iter', '--workers', str(workers)]
    straight = run_toy([tmp_path / 'straight', 40, *options])
    assert straight.returncode == 0, straight.stderr[-2000:]
    work = tmp_path / 'preempted'
    proc = _training_toy(work, options, '0.05', group)
    time.sleep(0.5)
    if group:
        # the DataLoader workers are in the group and get the signal too
        assert len(_group(proc.pid)) >= 1 + workers
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    out, _ = proc.communicate(timeout=120)
    expected = INTERRUPTED_EXIT_CODE if signum == signal.SIGINT \
        else PREEMPTED_EXIT_CODE
    assert proc.returncode == expected, out[-2000:]
    assert 'DataLoader worker' not in out
    saved = list(work.glob('preempted_iter_*.pth'))
    assert len(saved) == 1
    stopped_at = int(saved[0].stem.rsplit('_', 1)[1])
    assert 0 < stopped_at < 40
    assert f'{signal.Signals(signum).name} received' in out
    assert (work / 'last_checkpoint').read_text() == str(saved[0])
    resumed = run_toy([work, 40, *options, '--resume'])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    log = resumed.stdout + resumed.stderr
    # it continued from the saved iteration, not from the start
    assert f'Auto resumed from the latest checkpoint {saved[0]}' in log
    assert f'Advance dataloader {stopped_at} steps' in log
    np.testing.assert_allclose(
        final_weights(resumed.stdout),
        final_weights(straight.stdout),
        rtol=0,
        atol=1e-6)
    return out


@pytest.mark.slow
@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGUSR1])
def test_signal_saves_exits_75_and_resume_matches(tmp_path, signum):
    _preempt_and_resume(tmp_path, signum)


@pytest.mark.slow
@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT])
def test_signal_to_the_process_group_with_workers(tmp_path, signum):
    """As SLURM, timeout and Ctrl-C signal: every process of the job, the
    DataLoader workers too (two of them, persistent)."""
    out = _preempt_and_resume(tmp_path, signum, workers=2, group=True)
    if signum == signal.SIGINT:
        assert 'press Ctrl-C again to stop at once' in out


@pytest.mark.slow
def test_ctrl_c_twice_stops_at_once(tmp_path):
    work = tmp_path / 'work'
    # one long iteration: the second Ctrl-C is in it
    proc = _training_toy(work, ['--by-iter', '--workers', '1'], '2', True)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert 'KeyboardInterrupt' in out, out[-2000:]
    assert proc.returncode not in (0, PREEMPTED_EXIT_CODE,
                                   INTERRUPTED_EXIT_CODE)
    assert not list(work.glob('preempted_iter_*.pth'))


def test_without_the_hook_the_signals_act_as_usual():
    """tools/train.py listens from its start; a config without the hook gets
    the signals' usual action back instead of having them noted forever."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        listen_for_preemption()
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        release_unhooked_signals([])
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


@pytest.mark.slow
def test_a_signal_while_the_run_is_set_up_exits_75(tmp_path, four_image_voc):
    """SIGUSR1 before the first iteration (the config, model and data still
    being built) is noted by tools/train.py and ends the run with 75, not
    with the signal's default action."""
    from lodaa_testing import PYTHON, config_path, data_options, tool_path
    proc = subprocess.Popen([
        PYTHON,
        tool_path('train.py'),
        config_path('fcos_voc_224.py'), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *data_options(four_image_voc, 'four.txt'),
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=5'
    ],
                            cwd=str(tmp_path),
                            env=python_env(),
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        # printed right after train.py starts listening, before the build
        if 'LODAA compatibility fixes enabled' in line:
            proc.send_signal(signal.SIGUSR1)
            break
    out = ''.join(seen) + proc.communicate(timeout=300)[0]
    assert proc.returncode == PREEMPTED_EXIT_CODE, out[-3000:]
    assert 'SIGUSR1 received before training started' in out
    assert not list((tmp_path / 'work').glob('*.pth'))
