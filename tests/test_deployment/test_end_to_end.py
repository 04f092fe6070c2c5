# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The end-to-end export: one graph from pixels to detections that equals
the network-only export with the head's post-processing, runs in a plain
ONNX Runtime client, refuses what it cannot reproduce, and quantizes to
INT8 with its accuracy reported."""
import glob
import json
import os.path as osp
import re
import subprocess

import numpy as np
import pytest

from lodaa_testing import (PYTHON, VOC07_ROOT, config_path, data_options,
                           python_env, tool_path)

PHOTOS = sorted(
    glob.glob(osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '*.jpg')))[:8]


def _same(a, b, box_tol=1e-3, score_tol=1e-4):
    assert np.array_equal(a['labels'], b['labels'])
    np.testing.assert_allclose(a['bboxes'], b['bboxes'], atol=box_tol, rtol=0)
    np.testing.assert_allclose(
        a['scores'], b['scores'], atol=score_tol, rtol=0)


@pytest.mark.slow
def test_export_writes_both_graphs_and_checks_them(exported):
    folder, output = exported
    settings = json.loads(open(osp.join(folder, 'deploy.json')).read())
    assert settings['end2end'] == dict(
        onnx='end2end.onnx', openvino='end2end.xml')
    # the rules are the built head's: its default sqrt fusion, its test_cfg
    assert settings['score_fusion'] == 'sqrt'
    assert settings['test_cfg']['nms_iou'] == 0.6
    checks = re.findall(
        r'end-to-end, (\w+) fp32 vs PyTorch: same detections, boxes within '
        r'([\d.e+-]+) px', output)
    assert {name for name, _ in checks} == {'onnxruntime', 'openvino'}
    assert all(float(d) < 1e-3 for _, d in checks), output[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_end_to_end_equals_network_and_the_heads_postprocessing(
        exported, backend):
    from lodaa_plugin.deployment import DeployedDetector
    folder, _ = exported
    network = DeployedDetector(folder, backend, 'fp32', graph='network')
    graph = DeployedDetector(folder, backend, 'fp32', graph='end2end')
    expected, got = network(PHOTOS), graph(PHOTOS)
    assert sum(len(e['labels']) for e in expected) > 0
    for e, g in zip(expected, got):
        _same(e, g)
    # batch by batch, the next batch decoded while one runs
    many = [r for batch in graph.predict_many(PHOTOS, 3) for r in batch]
    for e, g in zip(expected, many):
        _same(e, g)


@pytest.mark.slow
def test_plain_onnxruntime_client_gets_the_runtimes_detections(exported):
    from lodaa_plugin.deployment import DeployedDetector
    folder, _ = exported
    blocked = ['torch', 'mmcv', 'mmdet', 'mmengine', 'lodaa_plugin']
    script = ('import sys, runpy\n'
              f'for name in {blocked!r}:\n'
              '    sys.modules[name] = None\n'
              f'sys.argv = ["onnx_client.py", {folder!r}, *{PHOTOS[:4]!r}, '
              '"--json", "--score-thr", "0"]\n'
              f'runpy.run_path({tool_path("deployment/onnx_client.py")!r}, '
              'run_name="__main__")\n')
    result = subprocess.run([PYTHON, '-c', script],
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    client = [json.loads(line) for line in result.stdout.splitlines()]
    runtime = DeployedDetector(folder, 'onnxruntime')(PHOTOS[:4])
    assert len(client) == 4
    for c, r in zip(client, runtime):
        assert c['labels'] == [runtime_classes(folder)[i] for i in r['labels']]
        np.testing.assert_allclose(c['boxes'], r['bboxes'], atol=0.01, rtol=0)
        np.testing.assert_allclose(c['scores'], r['scores'], atol=1e-4, rtol=0)
    # the default: readable lines, above the threshold only
    readable = subprocess.run([
        PYTHON, '-c',
        script.replace('"--json", "--score-thr", "0"', '"--score-thr", "0.1"')
    ],
                              env=python_env(),
                              capture_output=True,
                              text=True,
                              timeout=300)
    assert readable.returncode == 0, readable.stderr[-3000:]
    lines = readable.stdout.splitlines()
    headers = [line for line in lines if not line.startswith('  ')]
    assert [h.split(':')[0] for h in headers] == list(PHOTOS[:4])
    objects = [line.split() for line in lines if line.startswith('  ')]
    assert len(objects) == sum(
        int(s >= 0.1) for c in client for s in c['scores'])
    assert all(float(o[1]) >= 0.1 and len(o) == 6 for o in objects)


def runtime_classes(folder):
    return json.loads(open(osp.join(folder, 'deploy.json')).read())['classes']


@pytest.mark.slow
def test_int8_export_reports_both_maps_and_acts_on_them(
        trained_fcos, tmp_path):
    work_dir, data_root = trained_fcos
    out = tmp_path / 'int8'
    result = subprocess.run([
        PYTHON,
        tool_path('deployment/export.py'),
        config_path('fcos_voc_224.py'),
        osp.join(work_dir, 'iter_100.pth'), '--backend', 'openvino', '--int8',
        '--calib-images', '4', '--eval-images', '0', '--out',
        str(out), '--check-images', PHOTOS[0], '--cfg-options',
        'model.backbone.init_cfg=None', *data_options(data_root, 'four.txt')
    ],
                            cwd=str(tmp_path),
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=900)
    output = result.stdout + result.stderr
    found = re.search(
        r'(\d+) test images, VOC07 11-point mAP@0\.5 \(area mAP@0\.5\): '
        r'OpenVINO fp32 ([\d.]+) \(([\d.]+)\), INT8 ([\d.]+) \(([\d.]+)\)\n'
        r'INT8 loses ([+-][\d.]+) \[n/a\]', output)
    assert found, output[-3000:]
    assert 'worst class: ' in output
    fp32, int8 = float(found.group(2)), float(found.group(4))
    assert fp32 > 0.3  # the trained model finds its training photos
    drop = float(found.group(6))
    assert drop == pytest.approx(fp32 - int8, abs=1e-4)
    settings = json.loads((out / 'deploy.json').read_text())
    # 4 test images: no interval, so INT8 is not shown to be within the
    # tolerance whatever its drop, and is not kept
    assert 'undecided: no interval on 4 test images (fewer than 10)' in output
    assert 'at least 10 test images would decide' in output
    assert result.returncode == 2 and 'the fp32 export is kept' in output
    assert not (out / 'end2end_int8.xml').exists()
    assert 'openvino_int8' not in settings['end2end']


def test_a_config_the_graph_cannot_honour_is_refused(tmp_path, mmdet_scope):
    import torch

    from lodaa_plugin.deployment.export import export_detector
    from lodaa_plugin.utils.builders import build_model_without_weights
    from lodaa_plugin.utils.config_loading import read_config
    for nms in (dict(type='soft_nms', iou_threshold=0.5),
                dict(type='nms', iou_threshold=0.5, offset=1)):
        cfg = read_config(
            config_path('fcos_voc_224.py'), {
                'model.test_cfg.nms': nms,
                'model.backbone.init_cfg': None
            })
        torch.manual_seed(0)
        model = build_model_without_weights(cfg)[0]
        out = tmp_path / nms['type']
        with pytest.raises(ValueError, match='cannot export.*not a plain'):
            export_detector(cfg, model, ['c'] * 20, None, str(out))
        assert not out.exists()  # refused before writing anything


@pytest.mark.parametrize('config,keep_ratio', [('fcos_voc_224.py', False),
                                               ('fcos_voc.py', True)])
def test_runtime_preprocessing_equals_mmdet_test_pipeline(
        config, keep_ratio, mmdet_scope):
    """Decoding, resizing and padding of the runtime, then the graphs'
    normalisation, give the pixels of mmdet's test pipeline plus its data
    preprocessor."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.dataset import Compose, pseudo_collate

    from lodaa_plugin.deployment.end_to_end import normalise
    from lodaa_plugin.deployment.export import preprocess_settings
    from lodaa_plugin.deployment.preprocess import graph_inputs
    from lodaa_plugin.utils.config_loading import read_config
    cfg = read_config(config_path(config))
    pipeline = Compose([
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] != 'LoadAnnotations'
    ])
    holder = torch.nn.Module()
    holder.data_preprocessor = MODELS.build(cfg.model.data_preprocessor)
    settings = preprocess_settings(cfg, holder)
    assert settings['resize']['keep_ratio'] == keep_ratio
    photos = PHOTOS[:3]
    data = pseudo_collate([pipeline(dict(img_path=p)) for p in photos])
    expected = holder.data_preprocessor(data, False)['inputs'].numpy()
    inputs, metas = graph_inputs(photos, settings)
    got = normalise(
        torch.from_numpy(inputs['images']),
        torch.from_numpy(inputs['img_shapes']),
        torch.tensor(settings['mean']).view(1, 3, 1, 1),
        torch.tensor(settings['std']).view(1, 3, 1, 1),
        settings['bgr_to_rgb']).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    for meta, sample in zip(metas, data['data_samples']):
        assert tuple(meta['img_shape']) == tuple(sample.img_shape)
        np.testing.assert_allclose(
            meta['scale_factor'], sample.scale_factor, rtol=1e-6)


@pytest.mark.slow
def test_an_export_folder_that_disagrees_with_its_graph_is_named(
        exported, trained_fcos, tmp_path):
    import shutil

    from lodaa_plugin.deployment import DeployConfigError, DeployedDetector
    folder = tmp_path / 'mixed'
    shutil.copytree(exported[0], folder)
    settings = json.loads((folder / 'deploy.json').read_text())
    settings['classes'] = ['only']
    (folder / 'deploy.json').write_text(json.dumps(settings))
    for graph in ('end2end', 'network'):
        with pytest.raises(DeployConfigError, match='mixes two exports'):
            DeployedDetector(str(folder), graph=graph)(PHOTOS)
    # another class order than the test set's: test.py refuses to score it
    settings['classes'] = json.loads(
        open(osp.join(exported[0], 'deploy.json')).read())['classes'][::-1]
    (folder / 'deploy.json').write_text(json.dumps(settings))
    _, data_root = trained_fcos
    result = subprocess.run([
        PYTHON,
        tool_path('test.py'),
        config_path('fcos_voc_224.py'),
        str(folder), '--backend', 'onnxruntime', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *data_options(data_root, 'four.txt')
    ],
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode != 0
    assert 'exported for classes' in result.stderr
    assert 'would score the wrong labels' in result.stderr


def test_an_export_over_another_is_refused_or_cleaned_when_asked(
        tmp_path, mmdet_scope):
    """Another model's graphs left beside a new export would be run with
    it: the folder is refused, or (--overwrite) that export's files, and only
    they, are removed and listed."""
    import json

    import torch

    from lodaa_plugin.deployment.export import (ExportFolderError,
                                                clear_earlier_export,
                                                export_detector)
    from lodaa_plugin.utils.builders import build_model_without_weights
    from lodaa_plugin.utils.config_loading import read_config
    old = tmp_path / 'deploy'
    old.mkdir()
    (old / 'deploy.json').write_text(
        json.dumps(
            dict(
                models=dict(onnx='model.onnx', openvino='net.xml'),
                end2end=dict(onnx='end2end.onnx'))))
    for name in ('model.onnx', 'net.xml', 'net.bin', 'end2end.onnx',
                 'end2end_int8.xml', 'end2end_int8.bin', 'iter_10.pth',
                 'notes.txt'):
        (old / name).write_bytes(b'old')
    cfg = read_config(
        config_path('fcos_voc_224.py'), {'model.backbone.init_cfg': None})
    torch.manual_seed(0)
    model = build_model_without_weights(cfg)[0]
    before = sorted(p.name for p in old.iterdir())
    with pytest.raises(ExportFolderError) as error:
        export_detector(cfg, model, ['c'] * 20, None, str(old))
    assert str(old) in str(error.value) and 'net.bin' in str(error.value)
    assert '--overwrite' in str(error.value)
    assert sorted(p.name for p in old.iterdir()) == before  # untouched
    removed = clear_earlier_export(str(old), overwrite=True)
    assert removed == [
        'deploy.json', 'end2end.onnx', 'end2end_int8.bin', 'end2end_int8.xml',
        'model.onnx', 'net.bin', 'net.xml'
    ]
    left = sorted(p.name for p in old.iterdir())
    assert left == ['iter_10.pth', 'notes.txt']
    assert clear_earlier_export(str(old)) == []  # nothing of an export left
    with pytest.raises(ExportFolderError, match='is a file'):
        clear_earlier_export(str(old / 'notes.txt'))
