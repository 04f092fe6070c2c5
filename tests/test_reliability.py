# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Bad inputs get clear errors, training survives interruption, nothing is
silently wrong."""
import io
import os
import os.path as osp
import re
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
from conftest import PYTHON, REPO_ROOT, VOC07_ROOT, python_env
from PIL import Image

from lodaa_plugin.datasets import ImageLoadError, LodaaLoadImageFromFile

TOY = osp.join(REPO_ROOT, 'tests', 'scripts', 'toy_runner.py')
JPEG = osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '000005.jpg')


def _toy(args, env=None, timeout=300):
    full_env = python_env()
    full_env.update(env or {})
    return subprocess.run([PYTHON, TOY, *args], env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def _final(output):
    line = [ln for ln in output.splitlines() if ln.startswith('FINAL')][-1]
    return [float(v) for v in re.findall(r'-?\d+\.\d+(?:e-?\d+)?', line)]


# ----------------------------------------------------------------- images
def _load(path, **kwargs):
    return LodaaLoadImageFromFile(**kwargs)(dict(img_path=str(path)))


def _save(tmp_path, name, img, **kwargs):
    path = tmp_path / name
    img.save(path, **kwargs)
    return path


def test_broken_images_name_the_file_and_the_problem(tmp_path):
    data = open(JPEG, 'rb').read()
    cases = {
        'truncated.jpg': (data[:len(data) // 2], 'truncated JPEG'),
        'empty.jpg': (b'', 'empty file (0 bytes)'),
        'text.jpg': (b'this is not an image', 'not a decodable image'),
    }
    for name, (content, problem) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImageLoadError) as err:
            _load(tmp_path / name)
        assert f'{tmp_path / name}: {problem}' in str(err.value)
    with pytest.raises(ImageLoadError, match='missing.jpg: cannot be read'):
        _load(tmp_path / 'missing.jpg')
    buffer = io.BytesIO()
    Image.new('RGB', (20, 20)).save(buffer, format='PNG')
    (tmp_path / 'cut.png').write_bytes(buffer.getvalue()[:-20])
    with pytest.raises(ImageLoadError, match='cut.png: truncated PNG'):
        _load(tmp_path / 'cut.png')


def test_skip_invalid_images_counts_them(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    loader = LodaaLoadImageFromFile(skip_invalid=True)
    assert loader(dict(img_path=str(tmp_path / 'empty.jpg'))) is None
    assert loader(dict(img_path=JPEG))['img'].shape == (375, 500, 3)
    assert loader.skipped == 1


def test_unusual_but_valid_images_are_converted(tmp_path):
    rgb = np.asarray(Image.open(JPEG).convert('RGB'))
    gray = _save(tmp_path, 'gray.jpg', Image.fromarray(rgb).convert('L'))
    cmyk = _save(tmp_path, 'cmyk.jpg', Image.fromarray(rgb).convert('CMYK'))
    png_as_jpg = _save(tmp_path, 'png_inside.jpg', Image.fromarray(rgb),
                       format='PNG')
    deep = (rgb[..., 0].astype(np.uint16) * 257)
    sixteen = _save(tmp_path, 'deep.png', Image.fromarray(deep))
    for path in (gray, cmyk, png_as_jpg, sixteen):
        out = _load(path)
        assert out['img'].shape == (375, 500, 3), path
        assert out['img'].dtype == np.uint8, path
    # PNG content behind .jpg decodes to the same pixels (BGR)
    np.testing.assert_array_equal(_load(png_as_jpg)['img'], rgb[..., ::-1])
    np.testing.assert_allclose(_load(sixteen)['img'][..., 0], rgb[..., 0],
                               atol=1)


# ------------------------------------------------- interruption and resume
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    straight = _toy([str(tmp_path / 'straight'), '4'])
    assert straight.returncode == 0, straight.stderr[-2000:]
    work = tmp_path / 'killed'
    env = python_env()
    env['TOY_SLEEP'] = '0.05'
    proc = subprocess.Popen([PYTHON, TOY, str(work), '4'], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while not (work / 'epoch_2.pth').exists() and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # well inside epoch 3 (8 steps of 0.05 s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (work / 'epoch_3.pth').exists()
    resumed = _toy([str(work), '4', '--resume'])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert 'resumed epoch: 2' in resumed.stdout + resumed.stderr
    np.testing.assert_allclose(_final(resumed.stdout),
                               _final(straight.stdout), rtol=0, atol=1e-6)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
    path = str(tmp_path / 'latest.pth')
    save_checkpoint(dict(state_dict=dict(w=torch.ones(3))), path)

    def killed(fd):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'fsync', killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(dict(state_dict=dict(w=torch.zeros(3))), path)
    monkeypatch.undo()
    # the previous checkpoint is intact and no temporary file is left
    assert torch.equal(_load_checkpoint(path)['state_dict']['w'],
                       torch.ones(3))
    assert os.listdir(tmp_path) == ['latest.pth']


# ---------------------------------------------------------- non-finite loss
def test_non_finite_loss_stops_with_iteration_and_part(tmp_path):
    result = _toy([str(tmp_path), '2'], env={'TOY_NAN_AT': '5'})
    assert result.returncode != 0
    assert re.search(r'Non-finite loss at iteration 5 \(epoch 1\): loss=nan',
                     result.stderr), result.stderr[-2000:]


def test_non_finite_loss_step_skipped_when_asked(tmp_path):
    result = _toy([str(tmp_path), '2', '--skip-nan'],
                  env={'TOY_NAN_AT': '5'})
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'step skipped (1/100)' in result.stdout + result.stderr
    assert all(np.isfinite(_final(result.stdout)))


# ------------------------------------------------------ config mistakes
def test_unknown_type_names_the_closest_registered_types():
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    with pytest.raises(KeyError, match='Did you mean: FCOSRegCenternessHead'):
        MODELS.build(dict(type='FCOSRegCentrenessHead', num_classes=2,
                          in_channels=8))
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'))
    cfg.model.backbone.type = 'TorchvisionBackbon'
    with pytest.raises(KeyError) as err:
        MODELS.build(cfg.model)
    assert 'Did you mean: TorchvisionBackbone' in str(err.value)


def test_mismatched_head_and_dataset_classes(tmp_path):
    from conftest import CELLS_ROOT, data_options
    result = subprocess.run([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'train.py'),
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), '--work-dir',
        str(tmp_path), '--cfg-options',
        *data_options(CELLS_ROOT + '/', 'trainval.txt'),
        'model.backbone.init_cfg=None'
    ], env=python_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert ('The train dataset has 1 classes (cellbody) but the model head '
            'predicts 20: set num_classes=1') in result.stderr


# ----------------------------------------------------------- distributed
def test_a_dying_torchrun_worker_ends_the_job(tmp_path):
    env = python_env()
    env.update(TOY_DIE_RANK='1', TOY_DIE_AT='3', TOY_SLEEP='0.05')
    started = time.time()
    result = subprocess.run([
        PYTHON, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        '--master_port=29651', TOY, str(tmp_path), '50', '--launcher',
        'pytorch'
    ], env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode != 0
    assert time.time() - started < 180
    assert 'exitcode  : 3' in result.stderr or 'exit code 3' in \
        result.stderr.lower(), result.stderr[-3000:]


def test_checkpoint_of_another_model_lists_the_mismatched_keys(tmp_path):
    from conftest import logged_warnings
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmengine.runner.checkpoint import save_checkpoint
    import torchvision
    path = str(tmp_path / 'resnet18.pth')
    save_checkpoint(dict(state_dict=torchvision.models.resnet18().state_dict()),
                    path)
    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    with logged_warnings() as warnings:
        load_checkpoint(model, path, map_location='cpu', logger='current')
    text = '\n'.join(warnings)
    assert 'unexpected key in source state_dict: conv1.weight' in text
    assert 'missing keys in source state_dict: backbone.stem.0.weight' in text
