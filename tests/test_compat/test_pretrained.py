# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""lodaa_plugin.compat.pretrained: pretrained weights that cannot be
downloaded name the file, where torch looks for it, and the way to train
without them; a file put there is used, offline."""
import os.path as osp
import subprocess

import pytest
import torch
import torchvision

from lodaa_plugin.compat.pretrained import (NO_PRETRAINED, cached_weights_path,
                                            weights_url)
from lodaa_testing import (PYTHON, VOC07_ROOT, config_path, data_options,
                           python_env, tool_path)

REGNET = 'torchvision://regnet_x_400mf.imagenet1k_v1'
LOAD = ('import lodaa_plugin, lodaa_plugin.compat.enable, sys\n'
        'from mmengine.runner.checkpoint import CheckpointLoader\n'
        'state = CheckpointLoader.load_checkpoint(sys.argv[1])\n'
        'print("loaded", len(state))\n')


def offline_env(torch_home) -> dict:
    """This environment with an empty torch cache and every download sent
    to a closed local port: offline, whatever this machine's network."""
    env = python_env()
    env.update(
        TORCH_HOME=str(torch_home),
        http_proxy='http://127.0.0.1:9',
        https_proxy='http://127.0.0.1:9',
        no_proxy='',
        HTTPS_PROXY='http://127.0.0.1:9',
        HTTP_PROXY='http://127.0.0.1:9')
    return env


def test_names_the_url_and_the_cache_path(monkeypatch, tmp_path):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    url = weights_url(REGNET)
    assert url.startswith('https://') and url.endswith('.pth')
    assert cached_weights_path(url) == osp.join(
        str(tmp_path), 'hub', 'checkpoints', osp.basename(url))
    assert weights_url('https://x/y/w.pth') == 'https://x/y/w.pth'


@pytest.mark.slow
@pytest.mark.parametrize('name', [REGNET, 'https://example.invalid/w.pth'])
def test_a_failed_download_says_what_to_do(name, tmp_path, monkeypatch):
    result = subprocess.run([PYTHON, '-c', LOAD, name],
                            env=offline_env(tmp_path),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        'lodaa_plugin.compat.pretrained.PretrainedWeightsUnavailable'
    ), result.stderr[-3000:]
    url = name if name.startswith('https') else None
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    expected = cached_weights_path(weights_url(name))
    assert expected.startswith(str(tmp_path))
    assert expected in last
    assert NO_PRETRAINED in last
    assert (url or 'download.pytorch.org') in last


@pytest.mark.slow
def test_a_file_put_where_torch_looks_loads_offline(tmp_path):
    url = weights_url(REGNET)
    target = tmp_path / 'hub' / 'checkpoints' / osp.basename(url)
    target.parent.mkdir(parents=True)
    torch.save(torchvision.models.regnet_x_400mf().state_dict(), target)
    result = subprocess.run([PYTHON, '-c', LOAD, REGNET],
                            env=offline_env(tmp_path),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'loaded' in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    'config',
    ['fcos_voc_224.py', 'resnet18/resnet18_linear-probe_1xb64-50e_voc07.py'])
def test_train_offline_stops_naming_the_fix(config, tmp_path, four_image_voc):
    """The README's first command, offline, without the weights."""
    if config.startswith('fcos'):
        options = data_options(four_image_voc, 'four.txt')
    else:
        options = [
            f'{loader}.{key}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
            for key in (f'dataset.data_root={VOC07_ROOT}/VOC2007',
                        'num_workers=0', 'persistent_workers=False')
        ]
    result = subprocess.run([
        PYTHON,
        tool_path('train.py'),
        config_path(config), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *options
    ],
                            cwd=str(tmp_path),
                            env=offline_env(tmp_path / 'torch'),
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert 'PretrainedWeightsUnavailable' in last, result.stderr[-3000:]
    assert str(tmp_path / 'torch' / 'hub' / 'checkpoints') in last
    assert NO_PRETRAINED in last
    # one screen: no config dump, no traceback
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) <= 50, '\n'.join(lines)
    assert 'Traceback' not in result.stderr
