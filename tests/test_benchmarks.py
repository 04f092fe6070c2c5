# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The benchmark tools run end to end and report every row (speeds
themselves are measured by running the tools, never asserted here)."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import PYTHON, REPO_ROOT, run_tool

CONFIG = osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py')


def _benchmark_module():
    spec = importlib.util.spec_from_file_location(
        'lodaa_benchmark',
        osp.join(REPO_ROOT, 'tools', 'analysis', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('config', ['fcos_voc_224.py', 'fcos_voc.py'])
def test_torchvision_twin_with_shared_weights_is_the_same_network(config):
    bench = _benchmark_module()
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', config))
    torch.manual_seed(0)
    lodaa = bench.build_lodaa(cfg).eval()
    tv = bench.build_torchvision_fcos(cfg, 128).eval()
    images = [torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8)
              for _ in range(2)]
    strides = cfg.model.bbox_head.strides
    apart = bench.head_outputs(lodaa, tv, images, strides)
    assert not torch.allclose(*apart['cls'], atol=1e-3)

    bench.share_weights(lodaa, tv)
    outputs = bench.head_outputs(lodaa, tv, images, strides)
    # every level of every output, P6/P7 included for fcos_voc
    assert outputs['cls'][0].shape == (2, sum((128 // s)**2
                                              for s in strides), 20)
    for name, (ours, twin) in outputs.items():
        torch.testing.assert_close(ours, twin, rtol=1e-4, atol=1e-4,
                                   msg=name)


def test_share_weights_refuses_per_level_scales():
    bench = _benchmark_module()
    cfg = Config.fromfile(CONFIG)
    lodaa = bench.build_lodaa(cfg)
    tv = bench.build_torchvision_fcos(cfg, 128)
    with torch.no_grad():
        lodaa.bbox_head.scales[1].scale.fill_(2.)
    with pytest.raises(ValueError, match='per-level scales'):
        bench.share_weights(lodaa, tv)


def test_model_benchmark_table_json_and_profile(tmp_path):
    out = tmp_path / 'bench.json'
    log = run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'analysis', 'benchmark.py'),
        CONFIG, '--device', 'cpu', '--size', '96', '--warmup', '1',
        '--iters', '2', '--repeats', '1', '--profile', '--out', str(out)
    ], cwd=str(tmp_path))
    for row in ('train img/s', 'infer img/s', 'latency', 'convolutions',
                'same weights', 'detections per image'):
        assert row in log
    result = json.loads(out.read_text())
    # the inference rows compare the same network
    assert max(result['head_output_max_abs_diff'].values()) < 1e-3
    assert len(result['detections_per_image']['torchvision']) == 2
    for kind in ('train', 'infer', 'latency'):
        assert result['speedup'][kind]['median'] > 0
        for model in ('lodaa', 'torchvision'):
            assert result['results'][kind][model]['images_per_second'] > 0
            split = result['profile'][f'{kind}/{model}']
            # the convolutions are found, and so is the rest
            assert split['conv_ms'] > 0 and split['other_ms'] > 0
    assert result['trainable_params']['lodaa'] > 0


def test_head_benchmark_rows(tmp_path):
    log = run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'analysis',
                         'benchmark_head.py'), CONFIG, '--batch', '1', '3',
        '--steps', '2', '--size', '128'
    ], cwd=str(tmp_path))
    for batch in (1, 3):
        assert f'batch {batch}, loss + backward' in log
        assert f'batch {batch}, detections' in log
