# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Each fix of lodaa_plugin.compat, with proof that it is needed."""
import os
import pickle
import subprocess
import textwrap

import numpy as np
import pytest
import torch

from lodaa_testing import PYTHON, python_env
from lodaa_testing.toy import final_weights, run_toy


def test_mmengine_checkpoint_needs_and_gets_the_fix(tmp_path):
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
    ckpt = dict(
        state_dict=dict(w=torch.ones(2)),
        message_hub=dict(
            log_scalars=dict(loss=HistoryBuffer([1.0, 2.0], [1, 1]))),
        meta=dict(epoch=1, seed=np.int64(3), arr=np.arange(3)))
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint(ckpt, path)
    # torch >= 2.6 refuses mmengine's own objects by default ...
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(path)
    # ... and the patched loader reads them back, with no pickle fallback.
    loaded = _load_checkpoint(path, map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))
    assert loaded['message_hub']['log_scalars']['loss'].current() == 2.0
    assert loaded['meta']['seed'] == 3
    np.testing.assert_array_equal(loaded['meta']['arr'], np.arange(3))


@pytest.mark.slow
def test_runner_saves_loads_and_resumes(tmp_path):
    straight = run_toy([tmp_path / 'a', 3])
    assert straight.returncode == 0, straight.stderr[-3000:]
    first = run_toy([tmp_path / 'b', 2])
    assert first.returncode == 0, first.stderr[-3000:]
    resumed = run_toy([tmp_path / 'b', 3, '--resume'])
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = resumed.stdout + resumed.stderr
    assert 'resumed epoch: 2' in log, log[-3000:]
    np.testing.assert_allclose(
        final_weights(resumed.stdout),
        final_weights(straight.stdout),
        rtol=0,
        atol=1e-6)


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path):
    result = run_toy([tmp_path, 2], nproc=2, port=29631)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    log = result.stdout + result.stderr
    assert 'gloo' in log
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    # both ranks finished with the same, synchronised weights
    finals = [(tmp_path / f'final_weights_rank{r}.txt').read_text()
              for r in (0, 1)]
    assert finals[0] == finals[1]


def test_adjust_hue_negative_factor():
    import mmcv

    from lodaa_plugin.compat.photometric import _hue_shift
    img = np.random.RandomState(0).randint(0, 255, (8, 8, 3), np.uint8)
    # numpy 2 refuses the conversion mmcv 2.1.0 uses
    with pytest.raises(OverflowError):
        np.uint8(-0.2 * 255)
    assert int(_hue_shift(-0.2)) == 256 - 51
    for backend in ('cv2', 'pillow'):
        out = mmcv.adjust_hue(img, -0.2, backend=backend)
        back = mmcv.adjust_hue(out, 0.2, backend=backend)
        assert out.shape == img.shape and out.dtype == np.uint8
        assert not np.array_equal(out, img)
        # a shift and its opposite come back within HSV rounding
        assert np.abs(back.astype(int) - img.astype(int)).mean() < 6
    # positive factors behave exactly as before
    import cv2
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] += np.uint8(0.3 * 255)
    expected = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)
    np.testing.assert_array_equal(mmcv.adjust_hue(img, 0.3), expected)


def test_mmpretrain_color_jitter_with_hue():
    from mmpretrain.datasets.transforms import ColorJitter
    jitter = ColorJitter(hue=0.5)
    img = np.random.RandomState(1).randint(0, 255, (16, 16, 3), np.uint8)
    for _ in range(20):  # each draw is negative with probability 1/2
        out = jitter(dict(img=img.copy()))['img']
        assert out.shape == img.shape


@pytest.mark.slow
def test_mmpretrain_imports_beside_a_new_transformers(tmp_path):
    """A transformers without names mmpretrain 1.2 needs must not break it."""
    fake = tmp_path / 'site'
    (fake / 'transformers').mkdir(parents=True)
    (fake / 'transformers' / '__init__.py').write_text('__version__ = "9.0"\n')
    (fake / 'transformers' /
     'modeling_utils.py').write_text('class PreTrainedModel: pass\n')
    dist = fake / 'transformers-9.0.dist-info'
    dist.mkdir()
    (dist / 'METADATA'
     ).write_text('Metadata-Version: 2.1\nName: transformers\nVersion: 9.0\n')
    env = python_env()
    env['PYTHONPATH'] = str(fake) + os.pathsep + env['PYTHONPATH']
    code = 'import mmpretrain.models'
    plain = subprocess.run([PYTHON, '-c', code],
                           env=env,
                           capture_output=True,
                           text=True,
                           timeout=300)
    assert plain.returncode != 0  # the breakage is real
    fixed = subprocess.run([
        PYTHON, '-c', 'import lodaa_plugin; ' + code + textwrap.dedent('''
            ; from mmpretrain.registry import MODELS
            ; assert MODELS.get('ImageClassifier')''').replace('\n', '')
    ],
                           env=env,
                           capture_output=True,
                           text=True,
                           timeout=300)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
