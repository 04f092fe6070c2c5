# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""PreemptionHook: a signal before a kill ends in a checkpoint and exit 75,
and --resume finishes with the weights of an uninterrupted run."""
import signal
import subprocess
import time

import numpy as np
import pytest

from lodaa_plugin.engine.hooks import PREEMPTED_EXIT_CODE
from lodaa_plugin.testing import python_env
from lodaa_plugin.testing.toy import final_weights, run_toy, toy_command


@pytest.mark.slow
@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGUSR1])
def test_signal_saves_exits_75_and_resume_matches(tmp_path, signum):
    straight = run_toy([tmp_path / 'straight', 40, '--by-iter'])
    assert straight.returncode == 0, straight.stderr[-2000:]
    work = tmp_path / 'preempted'
    env = python_env()
    env['TOY_SLEEP'] = '0.05'
    proc = subprocess.Popen(
        toy_command([work, 40, '--by-iter']),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    deadline = time.time() + 120
    # wait until training runs (the log names iterations), then signal
    while time.time() < deadline and not list(work.glob('*/vis_data')):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == PREEMPTED_EXIT_CODE, out[-2000:]
    saved = list(work.glob('preempted_iter_*.pth'))
    assert len(saved) == 1
    stopped_at = int(saved[0].stem.rsplit('_', 1)[1])
    assert 0 < stopped_at < 40
    assert f'{signal.Signals(signum).name} received' in out
    assert (work / 'last_checkpoint').read_text() == str(saved[0])
    resumed = run_toy([work, 40, '--by-iter', '--resume'])
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


@pytest.mark.slow
def test_a_signal_while_the_run_is_set_up_exits_75(tmp_path, four_image_voc):
    """SIGUSR1 before the first iteration (the config, model and data still
    being built) is noted by tools/train.py and ends the run with 75, not
    with the signal's default action."""
    from lodaa_plugin.testing import (PYTHON, config_path, data_options,
                                      tool_path)
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
