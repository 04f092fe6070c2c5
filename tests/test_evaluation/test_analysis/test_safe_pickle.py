# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Prediction .pkl files are read without running code from them: the
detections tools/test.py writes load, a crafted file is refused by name."""
import collections
import os
import pickle
import subprocess

import numpy as np
import pytest
import torch

from lodaa_plugin.compat.checkpoint import UNSAFE_LOAD_ENV
from lodaa_plugin.evaluation.analysis.safe_pickle import load_detections_pickle
from lodaa_testing import (PYTHON, config_path, data_options, python_env,
                           tool_path)


class _Payload:
    """Pickles as a call of ``os.system``: what a crafted .pkl does."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def _detections():
    # what mmdet's DumpDetResults writes: dicts of tensors, tuples, strings
    return [
        dict(
            img_path=f'JPEGImages/{i}.jpg',
            img_id=str(i),
            ori_shape=(375, 500),
            scale_factor=(0.448, 0.597),
            extra=collections.OrderedDict(a=np.arange(3.), b=np.float32(2)),
            pred_instances=dict(
                bboxes=torch.rand(5, 4) * 100,
                scores=torch.rand(5),
                labels=torch.arange(5, dtype=torch.int64),
                dtype=torch.float16)) for i in range(3)
    ]


def test_detections_load_as_pickle_loads_them(tmp_path):
    path = tmp_path / 'preds.pkl'
    saved = _detections()
    with open(path, 'wb') as f:
        pickle.dump(saved, f)
    loaded = load_detections_pickle(str(path))
    assert len(loaded) == 3
    for mine, theirs in zip(loaded, saved):
        assert mine['ori_shape'] == theirs['ori_shape']
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(mine['pred_instances'][key],
                               theirs['pred_instances'][key])
        np.testing.assert_array_equal(mine['extra']['a'], np.arange(3.))
        assert mine['pred_instances']['dtype'] is torch.float16


def test_a_crafted_pickle_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.delenv(UNSAFE_LOAD_ENV, raising=False)
    marker = tmp_path / 'ran'
    path = tmp_path / 'crafted.pkl'
    with open(path, 'wb') as f:
        pickle.dump([dict(pred_instances=_Payload(marker))], f)
    with pytest.raises(ValueError) as err:
        load_detections_pickle(str(path))
    assert str(path) in str(err.value) and 'system' in str(err.value)
    assert '--unsafe-load' in str(err.value)
    assert not marker.exists()
    monkeypatch.setenv(UNSAFE_LOAD_ENV, '1')  # the user trusts it
    load_detections_pickle(str(path))
    assert marker.exists()


def test_a_tensor_cannot_smuggle_a_second_pickle(tmp_path, monkeypatch):
    """torch's own tensor unpickling reads storage bytes with
    weights_only=False; here those bytes are held to the same rule."""
    monkeypatch.delenv(UNSAFE_LOAD_ENV, raising=False)
    marker = tmp_path / 'ran'

    class Smuggle:

        def __reduce__(self):
            import io
            buf = io.BytesIO()
            torch.save(
                _Payload(marker), buf, _use_new_zipfile_serialization=False)
            return torch.storage._load_from_bytes, (buf.getvalue(), )

    path = tmp_path / 'smuggle.pkl'
    with open(path, 'wb') as f:
        pickle.dump([Smuggle()], f)
    with pytest.raises(ValueError, match='refused.*system'):
        load_detections_pickle(str(path))
    assert not marker.exists()


@pytest.mark.parametrize('content', [b'', b'not a pickle at all', None])
def test_broken_files_are_named(tmp_path, content):
    path = tmp_path / 'broken.pkl'
    if content is None:  # truncated
        content = pickle.dumps(_detections())[:200]
    path.write_bytes(content)
    with pytest.raises(ValueError, match='broken.pkl'):
        load_detections_pickle(str(path))


@pytest.mark.slow
@pytest.mark.parametrize('tool', ['analyze_results', 'confusion_matrix'])
def test_analysis_tools_refuse_a_crafted_pickle(tmp_path, four_image_voc,
                                                tool):
    marker = tmp_path / 'ran'
    path = tmp_path / 'crafted.pkl'
    with open(path, 'wb') as f:
        pickle.dump([dict(pred_instances=_Payload(marker))], f)
    args = [
        PYTHON,
        tool_path(f'analysis/{tool}.py'),
        config_path('fcos_voc_224.py'),
        str(path)
    ]
    args += [str(tmp_path / 'out')] if tool == 'analyze_results' else [
        '--out-dir', str(tmp_path / 'out')
    ]
    args += ['--cfg-options', *data_options(four_image_voc, 'four.txt')]
    env = python_env()
    env.pop(UNSAFE_LOAD_ENV, None)
    result = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f'{path}: refused' in output and 'posix.system' in output
    assert not marker.exists()
