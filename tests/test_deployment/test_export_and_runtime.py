# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Export a trained FCOS, then ONNX Runtime and OpenVINO give eager
PyTorch's detections on real photos, with no torch, mmcv or mmdet needed."""
import glob
import json
import os.path as osp
import re
import subprocess

import numpy as np
import pytest

from lodaa_testing import (PYTHON, VOC07_ROOT, config_path, data_options,
                           python_env, run_tool, tool_path)
from projects.benchmarks.deploy_benchmark import PATHS

PHOTOS = sorted(
    glob.glob(osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '*.jpg')))[:8]


@pytest.mark.slow
def test_export_checks_itself_against_pytorch(exported):
    folder, output = exported
    settings = json.loads(open(osp.join(folder, 'deploy.json')).read())
    assert settings['input'] == [224, 224]
    assert settings['models'] == dict(onnx='model.onnx', openvino='model.xml')
    assert settings['classes'][-1] == 'tvmonitor'
    diffs = re.findall(
        r'(\w+) fp32 vs PyTorch on 4 images .*difference '
        r'([\d.e+-]+)', output)
    assert {name for name, _ in diffs} == {'onnxruntime', 'openvino'}
    assert all(float(d) < 1e-3 for _, d in diffs), diffs


@pytest.mark.slow
def test_fp32_runtimes_give_eager_detections(exported, trained_fcos,
                                             mmdet_scope):
    from lodaa_plugin.apis import init_detector_strict, predict_images
    from lodaa_plugin.deployment import DeployedDetector
    folder, _ = exported
    work_dir, _ = trained_fcos
    model = init_detector_strict(
        config_path('fcos_voc_224.py'), osp.join(work_dir, 'iter_100.pth'))
    eager = predict_images(model, PHOTOS)
    assert sum(len(e['bboxes']) for e in eager) > 0
    for backend in ('onnxruntime', 'openvino'):
        got = DeployedDetector(folder, backend, 'fp32')(PHOTOS)
        for photo, e, g in zip(PHOTOS, eager, got):
            assert np.array_equal(e['labels'], g['labels']), (backend, photo)
            np.testing.assert_allclose(
                g['bboxes'], e['bboxes'], atol=1e-3, rtol=0)
            np.testing.assert_allclose(
                g['scores'], e['scores'], atol=1e-4, rtol=0)


@pytest.mark.slow
def test_runtime_needs_no_torch_mmcv_or_mmdet(exported):
    folder, _ = exported
    blocked = [
        'torch', 'torchvision', 'mmcv', 'mmdet', 'mmengine', 'mmpretrain'
    ]
    script = (
        'import sys\n'
        f'for name in {blocked!r}:\n'
        '    sys.modules[name] = None\n'
        'import warnings; warnings.simplefilter("ignore")\n'
        'from lodaa_plugin.deployment import DeployedDetector\n'
        f'detector = DeployedDetector({folder!r}, "onnxruntime")\n'
        f'results = detector({PHOTOS[:2]!r})\n'
        'print("COUNTS", [len(r["bboxes"]) for r in results])\n'
        'print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] '
        f'in {blocked!r} and sys.modules[m] is not None))\n')
    result = subprocess.run([PYTHON, '-c', script],
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'LOADED []' in result.stdout
    assert re.search(r'COUNTS \[\d+, \d+\]', result.stdout)


@pytest.mark.slow
def test_test_py_evaluates_the_export_with_the_same_metric(
        tmp_path, exported, trained_fcos):
    folder, _ = exported
    work_dir, data_root = trained_fcos
    maps = {}
    for backend, checkpoint in (('pytorch', osp.join(work_dir,
                                                     'iter_100.pth')),
                                ('onnxruntime', folder), ('openvino', folder)):
        output = run_tool([
            PYTHON,
            tool_path('test.py'),
            config_path('fcos_voc_224.py'), checkpoint, '--backend', backend,
            '--work-dir',
            str(tmp_path / backend), '--cfg-options',
            *data_options(data_root, 'four.txt'),
            'model.backbone.init_cfg=None'
        ],
                          cwd=str(tmp_path))
        maps[backend] = float(
            re.findall(r'pascal_voc/mAP: ([\d.]+)', output)[-1])
    assert maps['pytorch'] > 0.5
    assert abs(maps['onnxruntime'] - maps['pytorch']) <= 0.002, maps
    assert abs(maps['openvino'] - maps['pytorch']) <= 0.002, maps


@pytest.mark.slow
def test_test_py_compares_two_exports_on_the_same_images(
        tmp_path, exported, trained_fcos):
    folder, _ = exported
    _, data_root = trained_fcos
    output = run_tool([
        PYTHON,
        tool_path('test.py'),
        config_path('fcos_voc_224.py'), folder, '--backend', 'onnxruntime',
        '--compare', folder, '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(data_root, 'four.txt'),
        'model.backbone.init_cfg=None'
    ],
                      cwd=str(tmp_path))
    # one export twice: the same detections; on 4 images no interval, so
    # undecided, not a width-0 "level"
    assert re.search(
        r'mAP_11points, 4 test images: .*: \+0\.0000 \[n/a\]: undecided, '
        r'no interval on fewer than 10 test images', output), output[-3000:]


@pytest.mark.slow
def test_image_demo_with_a_backend(tmp_path, exported):
    folder, _ = exported
    run_tool([
        PYTHON,
        tool_path('image_demo.py'), PHOTOS[0],
        config_path('fcos_voc_224.py'), folder, '--backend', 'openvino',
        '--out-dir',
        str(tmp_path), '--score-thr', '0.05'
    ],
             cwd=str(tmp_path))
    saved = json.loads((tmp_path / 'predictions.json').read_text())
    assert saved['backend'] == 'openvino'
    assert len(saved['images']) == 1
    assert (tmp_path / (osp.basename(PHOTOS[0])[:-4] + '.png')).is_file()


@pytest.mark.slow
def test_benchmark_deploy_prints_every_path(tmp_path):
    output = run_tool([
        PYTHON,
        tool_path('analysis/benchmark_deploy.py'),
        config_path('fcos_voc_224.py'), '--images',
        osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages',
                 '*.jpg'), '--batch', '2', '--steps', '1', '--warmup', '0',
        '--int8', '--calib-images', '2', '--split', '--out',
        str(tmp_path / 'speed.json')
    ],
                      cwd=str(tmp_path))
    assert 'RANDOM weights' in output
    saved = json.loads((tmp_path / 'speed.json').read_text())
    paths = [row['path'] for row in saved['tables']['batch_2']]
    assert paths == list(PATHS)
    assert all(row['images_per_s'] > 0 for row in saved['tables']['batch_2'])
    assert re.search(r'\| OpenVINO INT8, end-to-end \| [\d.]+ \|', output)
    # where the time goes, for every deployed path
    split = saved['tables']['split_batch_2']
    assert set(split) == set(PATHS[3:])
    assert all(part['graph'] > 0 and part['decode'] > 0
               for part in split.values())
    assert 'post-processing' in split['OpenVINO default, network + PyTorch']


@pytest.mark.slow
def test_keep_ratio_configs_export_dynamic_sizes(tmp_path, mmdet_scope):
    """A test resize that keeps the aspect ratio gives photos of several
    sizes: the export takes any height and width (random weights)."""
    import torch

    from lodaa_plugin.utils.builders import build_model_without_weights
    from lodaa_plugin.utils.config_loading import read_config
    cfg = read_config(config_path('fcos_voc_224.py'))
    torch.manual_seed(0)
    checkpoint = tmp_path / 'random.pth'
    torch.save(
        dict(state_dict=build_model_without_weights(cfg)[0].state_dict()),
        checkpoint)
    out = tmp_path / 'dynamic'
    output = run_tool([
        PYTHON,
        tool_path('deployment/export.py'),
        config_path('fcos_voc_224.py'), checkpoint, '--backend', 'onnx',
        '--out',
        str(out), '--check-images', *PHOTOS[:3], '--cfg-options',
        'model.backbone.init_cfg=None',
        'test_dataloader.dataset.pipeline.1.keep_ratio=True',
        'test_dataloader.dataset.pipeline.1.scale=(320,224)'
    ],
                      cwd=str(tmp_path))
    settings = json.loads((out / 'deploy.json').read_text())
    assert settings['input'] == 'dynamic'
    assert settings['preprocess']['resize'] == dict(
        scale=[320, 224], keep_ratio=True)
    diff = re.search(
        r'onnxruntime fp32 vs PyTorch on 3 images .*difference '
        r'([\d.e+-]+)', output)
    assert diff and float(diff.group(1)) < 1e-3, output[-2000:]
