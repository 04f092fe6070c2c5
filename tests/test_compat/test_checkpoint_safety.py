# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Checkpoints load without running their code: mmengine's own state loads,
anything else is refused by name unless the user opts in."""
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from lodaa_plugin.compat.checkpoint import (UNSAFE_LOAD_ENV,
                                            CheckpointLoadError,
                                            load_local_checkpoint)
from lodaa_testing import logged_warnings
from lodaa_testing.toy import run_toy


class _Payload:
    """Pickles as a call of ``os.system``: what a crafted .pth does."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class _Tofile:
    """Pickles as ``getattr(numpy.ndarray, 'tofile')``: a file writer."""

    def __reduce__(self):
        return getattr, (np.ndarray, 'tofile')


@pytest.mark.slow
def test_a_runners_own_checkpoint_loads_without_warning(tmp_path, monkeypatch):
    monkeypatch.delenv(UNSAFE_LOAD_ENV, raising=False)
    result = run_toy([tmp_path, 1])
    assert result.returncode == 0, result.stderr[-2000:]
    with logged_warnings() as warnings:
        ckpt = load_local_checkpoint(str(tmp_path / 'epoch_1.pth'))
    assert not warnings
    # optimizer, message hub (HistoryBuffer statistics) and weights
    assert {'meta', 'state_dict', 'message_hub', 'optimizer'} <= set(ckpt)
    lr = ckpt['message_hub']['log_scalars']['train/lr']
    assert lr.mean() == pytest.approx(0.05)


def test_a_crafted_checkpoint_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.delenv(UNSAFE_LOAD_ENV, raising=False)
    marker = tmp_path / 'ran'
    path = tmp_path / 'crafted.pth'
    torch.save(
        dict(state_dict=dict(w=torch.ones(1)), x=_Payload(marker)), path)
    with pytest.raises(CheckpointLoadError) as err:
        load_local_checkpoint(str(path))
    assert str(path) in str(err.value) and 'system' in str(err.value)
    assert UNSAFE_LOAD_ENV in str(err.value)
    assert not marker.exists()
    # the user's explicit opt-in loads it (and so runs it)
    monkeypatch.setenv(UNSAFE_LOAD_ENV, '1')
    with logged_warnings() as warnings:
        load_local_checkpoint(str(path))
    assert marker.exists() and UNSAFE_LOAD_ENV in warnings[0]


def _as_numpy1(path, out):
    """Rewrite a checkpoint's pickle with numpy 1.x's module names
    (``numpy.core.multiarray``, as most published checkpoints have them)."""
    src = zipfile.ZipFile(path)
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith('data.pkl'):
                assert b'cnumpy._core.multiarray\n' in data
                data = data.replace(b'cnumpy._core.multiarray\n',
                                    b'cnumpy.core.multiarray\n')
            dst.writestr(info.filename, data)


def test_a_numpy1_checkpoint_loads(tmp_path, monkeypatch):
    """Weights, mmengine's state and numpy values load whichever numpy wrote
    them: numpy 1.x pickles name numpy.core, numpy 2 numpy._core."""
    monkeypatch.delenv(UNSAFE_LOAD_ENV, raising=False)
    history = HistoryBuffer()
    for value in (1.5, np.float64(2.0)):
        history.update(value)
    ckpt = dict(
        meta=dict(seed=np.int64(5), epoch=3, curve=np.arange(3.)),
        state_dict=dict(w=torch.ones(2)),
        message_hub=dict(log_scalars=dict(loss=history)))
    torch.save(ckpt, tmp_path / 'numpy2.pth')
    _as_numpy1(tmp_path / 'numpy2.pth', tmp_path / 'numpy1.pth')
    loaded = load_local_checkpoint(str(tmp_path / 'numpy1.pth'))
    assert loaded['meta']['seed'] == 5
    assert isinstance(loaded['meta']['seed'], np.int64)
    np.testing.assert_array_equal(loaded['meta']['curve'], np.arange(3.))
    assert loaded['message_hub']['log_scalars']['loss'].mean() == 1.75
    # anything beyond them is still refused in a numpy 1.x file
    torch.save(
        dict(x=_Payload(tmp_path / 'ran'), y=np.arange(2)),
        tmp_path / 'bad2.pth')
    _as_numpy1(tmp_path / 'bad2.pth', tmp_path / 'bad1.pth')
    with pytest.raises(CheckpointLoadError, match='system'):
        load_local_checkpoint(str(tmp_path / 'bad1.pth'))


def test_getattr_reaches_nothing_but_history_buffer_statistics(
        tmp_path, monkeypatch):
    monkeypatch.delenv(UNSAFE_LOAD_ENV, raising=False)
    path = tmp_path / 'getattr.pth'
    torch.save(dict(x=_Tofile()), path)
    with pytest.raises(CheckpointLoadError, match='not a HistoryBuffer'):
        load_local_checkpoint(str(path))


@pytest.mark.parametrize(
    'content, says',
    [(b'', 'the file is empty'),
     (b'PK\x03\x04 not really a zip', 'not a complete checkpoint')])
def test_a_truncated_checkpoint_names_the_file(tmp_path, content, says):
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(1000))), good)
    for name, data, message in (('empty.pth', content, says),
                                ('half.pth', good.read_bytes()[:2000],
                                 'not a complete checkpoint')):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CheckpointLoadError, match=message) as err:
            load_local_checkpoint(str(path))
        assert str(path) in str(err.value)


@pytest.mark.parametrize(
    'write, says',
    [(lambda p: p.write_text('hello'), 'it is a text file'),
     (lambda p: p.write_text('{"a": 1}'), 'JSON'),
     (lambda p: p.write_bytes(pickle.dumps({'a': np.arange(3)}, protocol=4)),
      'plain pickle'),
     (lambda p: zipfile.ZipFile(p, 'w').writestr('x.txt', 'x'), 'zip')])
def test_a_file_that_is_no_checkpoint_says_what_it_is(tmp_path, write, says):
    """Not "unsafe objects": the file is simply not a torch.save file."""
    path = tmp_path / 'model.pth'
    write(path)
    with pytest.raises(CheckpointLoadError) as err:
        load_local_checkpoint(str(path))
    message = str(err.value)
    assert message.startswith(f'{path}: not a checkpoint') and says in message
    assert 'could run any code' not in message
