# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Progress you can see: a bar in a terminal, early lines in a log, a short
run logged at every point, and a first screen without mmengine's dumps."""
import fcntl
import os
import os.path as osp
import pty
import struct
import subprocess
import termios
from types import SimpleNamespace as NS

import pytest
from mmengine.hooks import LoggerHook

from lodaa_plugin.engine.hooks import ProgressHook
from lodaa_testing import PYTHON, REPO_ROOT, logged_messages, python_env


def _run_in_a_terminal(command, cwd) -> str:
    """Run a command with an 80x24 pseudo-terminal as its stdout and
    stderr."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    proc = subprocess.Popen(
        command, stdout=slave, stderr=slave, cwd=cwd, env=python_env())
    os.close(slave)
    out = b''
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    assert proc.wait(timeout=600) == 0, out.decode(errors='replace')[-3000:]
    return out.decode(errors='replace')


@pytest.mark.slow
def test_a_short_run_in_a_terminal(tmp_path):
    from lodaa_plugin.visualization import find_scalars_file, read_scalars
    work_dir = tmp_path / 'work'
    out = _run_in_a_terminal([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'custom',
                 'fcos_custom_voc.py'), '--work-dir',
        str(work_dir), '--cfg-options', 'model.backbone.init_cfg=None',
        'train_cfg.max_iters=20', 'train_dataloader.batch_size=2',
        f'train_dataloader.dataset.data_root={REPO_ROOT}/tests/data/'
        'cells_voc/VOCdevkit/',
        f'val_dataloader.dataset.data_root={REPO_ROOT}/tests/data/'
        'cells_voc/VOCdevkit/'
    ], str(tmp_path))
    assert 'train: 100%' in out and '20/20' in out  # the bar, to the end
    assert 'loss=' in out
    # mmengine's start-up dumps stay in the log file, named once
    assert 'environment, config and hooks: in ' in out
    assert 'Config:' not in out and 'System environment' not in out
    log = open(next(work_dir.glob('*/*.log'))).read()
    assert 'Config:' in log and 'System environment' in log
    # every iteration logged: the loss curve has 20 points, not one
    scalars = read_scalars(find_scalars_file(str(work_dir)))
    assert len([s for s in scalars if 'loss' in s]) == 20


def _runner(max_iters, interval):
    return NS(
        max_iters=max_iters, iter=0, hooks=[LoggerHook(interval=interval)])


def test_a_long_run_without_a_terminal_logs_its_first_iterations():
    runner = _runner(9000, 50)
    hook = ProgressHook(bar=False)
    with logged_messages() as records:
        hook.before_train(runner)
        for i in range(12):
            runner.iter = i
            hook.after_train_iter(runner, i, outputs=dict(loss=2.5))
    assert runner.hooks[0].interval == 50  # a long run keeps its interval
    early = [r for r in records if r.startswith('iter ')]
    assert early == [
        'iter 1/9000, loss 2.5000', 'iter 5/9000, loss 2.5000',
        'iter 10/9000, loss 2.5000'
    ]


def test_a_short_run_logs_often_enough_to_plot():
    runner = _runner(100, 50)
    ProgressHook(bar=False).before_train(runner)
    assert runner.hooks[0].interval == 5  # 20 points
