# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Checkpoints survive a kill while saving, and training resumes from them."""
import collections
import os
import os.path as osp
import signal
import subprocess
import time

import numpy as np
import pytest
import torch

from lodaa_plugin.engine.hooks import AtomicCheckpointHook
from lodaa_plugin.utils import ATOMIC_BACKEND
from lodaa_testing import python_env
from lodaa_testing.toy import final_weights, run_toy, toy_command


# ------------------------------------------------- interruption and resume
@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    straight = run_toy([str(tmp_path / 'straight'), '4'])
    assert straight.returncode == 0, straight.stderr[-2000:]
    work = tmp_path / 'killed'
    env = python_env()
    env['TOY_SLEEP'] = '0.05'
    proc = subprocess.Popen(
        toy_command([str(work), '4']),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while not (work / 'epoch_2.pth').exists() and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # well inside epoch 3 (8 steps of 0.05 s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (work / 'epoch_3.pth').exists()
    resumed = run_toy([str(work), '4', '--resume'])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert 'resumed epoch: 2' in resumed.stdout + resumed.stderr
    np.testing.assert_allclose(
        final_weights(resumed.stdout),
        final_weights(straight.stdout),
        rtol=0,
        atol=1e-6)


def test_atomic_backend_keeps_the_old_checkpoint_when_killed(
        tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
    path = str(tmp_path / 'latest.pth')
    atomic = dict(backend=ATOMIC_BACKEND)
    save_checkpoint(
        dict(state_dict=dict(w=torch.ones(3))), path, backend_args=atomic)

    def killed(fd):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'fsync', killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(
            dict(state_dict=dict(w=torch.zeros(3))), path, backend_args=atomic)
    monkeypatch.undo()
    # the previous checkpoint is intact and no temporary file is left
    assert torch.equal(
        _load_checkpoint(path)['state_dict']['w'], torch.ones(3))
    assert os.listdir(tmp_path) == ['latest.pth']


class _Runner:
    """What CheckpointHook._save_checkpoint_with_step uses of a runner."""

    def __init__(self, work_dir: str) -> None:
        from mmengine.logging import MessageHub
        self.work_dir = work_dir
        self.message_hub = MessageHub.get_instance(f'atomic-{work_dir}')
        self.step = 0

    def save_checkpoint(self,
                        out_dir,
                        filename,
                        file_client_args=None,
                        backend_args=None,
                        **kwargs) -> None:
        from mmengine.runner.checkpoint import save_checkpoint
        save_checkpoint(
            dict(state_dict=dict(w=torch.full((3, ), self.step))),
            osp.join(out_dir, filename),
            backend_args=backend_args)


def test_hook_rotates_checkpoints_and_points_atomically(tmp_path, monkeypatch):
    from mmengine.fileio import get_file_backend
    from mmengine.runner import find_latest_checkpoint
    from mmengine.runner.checkpoint import _load_checkpoint
    hook = AtomicCheckpointHook(interval=1, max_keep_ckpts=2)
    assert hook.backend_args == dict(backend=ATOMIC_BACKEND)
    runner = _Runner(str(tmp_path))
    hook.out_dir = str(tmp_path)
    hook.file_backend = get_file_backend(
        hook.out_dir, backend_args=hook.backend_args)
    hook.filename_tmpl = 'epoch_{}.pth'
    hook.keep_ckpt_ids = collections.deque()
    for step in (1, 2, 3):
        runner.step = step
        hook._save_checkpoint_with_step(runner, step, dict(epoch=step))
    assert sorted(os.listdir(tmp_path)) == [
        'epoch_2.pth', 'epoch_3.pth', 'last_checkpoint'
    ]
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path /
                                                        'epoch_3.pth')

    # killed while writing the pointer: it still names a whole checkpoint
    calls = []

    def killed_second_time(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise KeyboardInterrupt('killed while writing the pointer')

    monkeypatch.setattr(os, 'fsync', killed_second_time)
    runner.step = 4
    with pytest.raises(KeyboardInterrupt):
        hook._save_checkpoint_with_step(runner, 4, dict(epoch=4))
    monkeypatch.undo()
    latest = find_latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / 'epoch_3.pth')
    assert _load_checkpoint(latest)['state_dict']['w'].tolist() == [3.] * 3
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]


def test_atomic_files_get_the_permissions_a_plain_write_gets(tmp_path):
    from lodaa_plugin.utils import atomic_write_bytes
    old = os.umask(0o022)
    try:
        atomic_write_bytes(b'x', tmp_path / 'atomic.pth')
        (tmp_path / 'plain.pth').write_bytes(b'x')
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {'atomic.pth': 0o644, 'plain.pth': 0o644}


@pytest.mark.slow
def test_temporaries_of_a_killed_write_are_removed_and_named(tmp_path):
    stale = tmp_path / '.epoch_3.pth.k2j4h1.lodaa-tmp'
    tmp_path.mkdir(exist_ok=True)
    stale.write_bytes(b'half a checkpoint')
    keep = tmp_path / '.hidden-but-not-ours.tmp'
    keep.write_bytes(b'')
    result = run_toy([tmp_path, 1])
    assert result.returncode == 0, result.stderr[-2000:]
    assert not stale.exists() and keep.exists()
    assert f'removed {stale}, left by a run killed' in result.stdout + \
        result.stderr
