# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Checkpoints load without running their code: mmengine's own state loads,
anything else is refused by name unless the user opts in."""
import os

import numpy as np
import pytest
import torch

from lodaa_plugin.compat.checkpoint import (UNSAFE_LOAD_ENV,
                                            CheckpointLoadError,
                                            load_local_checkpoint)
from lodaa_plugin.testing import logged_warnings
from lodaa_plugin.testing.toy import run_toy


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


def test_getattr_reaches_nothing_but_history_buffer_statistics(
        tmp_path, monkeypatch):
    monkeypatch.delenv(UNSAFE_LOAD_ENV, raising=False)
    path = tmp_path / 'getattr.pth'
    torch.save(dict(x=_Tofile()), path)
    with pytest.raises(CheckpointLoadError, match='not a HistoryBuffer'):
        load_local_checkpoint(str(path))


@pytest.mark.parametrize('content', [b'', b'PK\x03\x04 not really a zip'])
def test_a_truncated_checkpoint_names_the_file(tmp_path, content):
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(1000))), good)
    for name, data in (('empty.pth', content), ('half.pth',
                                                good.read_bytes()[:2000])):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(
                CheckpointLoadError, match='not a complete checkpoint') as err:
            load_local_checkpoint(str(path))
        assert str(path) in str(err.value)
