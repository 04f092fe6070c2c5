# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Loss curves, drawn detections, t-SNE colours, and the tools that make
them."""
import json
import os.path as osp

import numpy as np
import pytest
from conftest import PYTHON, REPO_ROOT, VOC07_ROOT, run_tool
from PIL import Image

from lodaa_plugin.visualization import (draw_detections, image_colours,
                                        plot_losses, read_scalars)


def test_plot_losses_from_a_training_run(tmp_path, trained_fcos):
    work_dir, _ = trained_fcos
    out = tmp_path / 'losses.png'
    output = run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'analysis', 'plot_losses.py'),
        work_dir, '--out', str(out)
    ], cwd=tmp_path)
    assert 'scalars.json' in output
    img = Image.open(out)
    assert img.size[0] > 500 and img.size[1] > 300


def test_read_scalars_rejects_a_log_without_losses(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text(json.dumps({'pascal_voc/mAP': 0.5, 'step': 1}) + '\n')
    with pytest.raises(ValueError, match='no training losses'):
        read_scalars(str(path))
    path.write_text(json.dumps({'loss': 1.0, 'loss_cls': .5, 'iter': 3}) +
                    '\n')
    assert read_scalars(str(path))[0]['step'] == 3
    plot_losses(str(path), str(tmp_path / 'one.png'))


def test_draw_detections_marks_boxes():
    image = np.zeros((60, 80, 3), np.uint8)
    drawn = np.asarray(draw_detections(
        image, ['a', 'b'], np.array([[10., 10., 40., 50.]]), np.array([1]),
        np.array([0.9]), gt_boxes=np.array([[50., 5., 70., 30.]]),
        gt_labels=[0]))
    assert drawn[10:50, 10].any()       # predicted box edge
    assert (drawn[5:30, 70] == 255).all()  # white true box edge
    below = np.asarray(draw_detections(
        image, ['a', 'b'], np.array([[10., 10., 40., 50.]]), np.array([1]),
        np.array([0.1]), score_thr=0.3))
    assert not below.any()


def test_image_colours_rules():
    colours = np.eye(3)
    hot = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], np.float32)
    mean = image_colours(hot, colours, 'mean')
    np.testing.assert_allclose(mean[0], [0.5, 0.5, 0])
    np.testing.assert_allclose(image_colours(hot, colours, 'first')[0],
                               [1, 0, 0])
    np.testing.assert_allclose(mean[2], [0.6, 0.6, 0.6])


def test_image_demo_and_detector_tsne(tmp_path, trained_fcos):
    work_dir, data_root = trained_fcos
    config = osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py')
    checkpoint = osp.join(work_dir, 'iter_100.pth')
    images = osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '00000*.jpg')
    out = tmp_path / 'out'
    run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'image_demo.py'), images,
        config, checkpoint, '--out-dir', str(out), '--score-thr', '0.2'
    ], cwd=tmp_path)
    result = json.loads((out / 'predictions.json').read_text())
    import glob
    assert len(result['images']) == len(glob.glob(images)) > 1
    for record in result['images']:
        assert osp.isfile(record['drawn'])
        for det in record['detections']:
            assert det['score'] >= 0.2 and len(det['bbox']) == 4
    # the overfit images get their objects back
    five = [r for r in result['images'] if '000005' in r['image']][0]
    best = max(five['detections'], key=lambda d: d['score'])
    assert best['label'] == 'chair'  # the only class of 000005
    tsne_dir = tmp_path / 'tsne'
    run_tool([
        PYTHON, osp.join(REPO_ROOT, 'tools', 'analysis', 'tsne.py'), config,
        checkpoint, '--out-dir', str(tsne_dir), '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}'
    ], cwd=tmp_path)
    npz = np.load(tsne_dir / 'fcos_voc_224_tsne.npz')
    assert npz['features'].shape == (12, 400)  # RegNetX-400MF block4
