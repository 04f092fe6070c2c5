# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The benchmark tools run end to end and report every row (speeds
themselves are measured by running the tools, never asserted here)."""
import json
import os.path as osp
import re

import pytest

from lodaa_testing import PYTHON, REPO_ROOT, VOC07_ROOT, run_tool, tool_path

CONFIG = osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py')


@pytest.mark.slow
def test_model_benchmark_table_json_and_profile(tmp_path):
    out = tmp_path / 'bench.json'
    log = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'analysis', 'benchmark.py'), CONFIG,
        '--device', 'cpu', '--size', '96', '--warmup', '1', '--iters', '2',
        '--repeats', '1', '--profile', '--out',
        str(out)
    ],
                   cwd=str(tmp_path))
    for row in ('train img/s', 'infer img/s', 'latency', 'convolutions',
                'same weights', 'detections per image'):
        assert row in log
    result = json.loads(out.read_text())
    # the inference rows compare the same network
    assert max(result['head_output_max_abs_diff'].values()) < 1e-3
    assert len(result['detections_per_image']['torchvision']) == 2
    for kind in ('train', 'infer', 'latency'):
        up = result['speedup'][kind]
        assert up['q1'] <= up['median'] <= up['q3']
        images = 1 if kind == 'latency' else 2
        for model in ('lodaa', 'torchvision'):
            row = result['results'][kind][model]
            assert row['images_per_second'] == pytest.approx(
                images / row['median_seconds'])
            split = result['profile'][f'{kind}/{model}']
            # the convolutions are found, and so is the rest
            assert split['conv_ms'] > 0 and split['other_ms'] > 0
    # frozen stem and first stage, as the config says
    assert 0 < result['trainable_params']['lodaa'] < result['params']['lodaa']
    assert result['steps'] == 2


@pytest.mark.slow
def test_head_benchmark_rows(tmp_path):
    log = run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'analysis', 'benchmark_head.py'), CONFIG,
        '--batch', '1', '3', '--steps', '2', '--size', '128'
    ],
                   cwd=str(tmp_path))
    for batch in (1, 3):
        assert f'batch {batch}, loss + backward' in log
        assert f'batch {batch}, detections' in log


@pytest.mark.slow
def test_dataset_benchmark_builds_twice_and_times_the_loader(tmp_path):
    log = run_tool([
        PYTHON,
        tool_path('analysis/benchmark_dataset.py'), '--sample',
        osp.join(VOC07_ROOT, 'VOC2007'), '--num', '30', '--workers', '0',
        '--batches', '2'
    ],
                   cwd=str(tmp_path))
    assert 'generated 30 annotation files' in log
    builds = re.findall(r'build \(.*?\): [\d.]+ s for (\d+) images', log)
    assert builds == ['30', '30']
    assert re.search(r'loader, 0 worker\(s\), batch \d+: [\d.]+ img/s', log)
    assert 'CPU cores' in log  # the machine is named


@pytest.mark.slow
def test_linear_probe_benchmark_compares_both_loops(tmp_path):
    out = tmp_path / 'probe.json'
    run_tool([
        PYTHON,
        tool_path('analysis/benchmark_linear_probe.py'), '--data-root',
        osp.join(VOC07_ROOT, 'VOC2007'), '--epochs', '2', '--batch-size', '4',
        '--workers', '0', '--out',
        str(out)
    ],
             cwd=str(tmp_path))
    result = json.loads(out.read_text())
    assert result['images'] == 11
    for loop in ('EpochBasedTrainLoop', 'CachedFeatureTrainLoop'):
        assert len(result['results'][loop]['epoch_seconds']) == 2
    # only the cached loop builds a cache
    assert result['results']['EpochBasedTrainLoop']['cache_seconds'] == 0
    assert result['results']['CachedFeatureTrainLoop']['cache_seconds'] > 0
