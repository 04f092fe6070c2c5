# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Loss curves, drawn detections and t-SNE colours."""
import json

import numpy as np
import pytest
from PIL import Image

from lodaa_plugin.visualization import (draw_detections, image_colours,
                                        plot_losses, read_scalars)


def test_read_scalars_rejects_a_log_without_losses(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text(json.dumps({'pascal_voc/mAP': 0.5, 'step': 1}) + '\n')
    with pytest.raises(ValueError, match='no training losses'):
        read_scalars(str(path))
    path.write_text(
        json.dumps({
            'loss': 1.0,
            'loss_cls': .5,
            'iter': 3
        }) + '\n')
    assert read_scalars(str(path))[0]['step'] == 3
    # a single record still draws
    plot_losses(str(path), str(tmp_path / 'one.png'))
    assert Image.open(tmp_path / 'one.png').size[0] > 300
    # a key asked for by name is drawn or refused, never left out
    plot_losses(str(path), str(tmp_path / 'cls.png'), keys=['loss_cls'])
    with pytest.raises(ValueError) as error:
        plot_losses(
            str(path), str(tmp_path / 'x.png'), keys=['loss_cls', 'loss_iou'])
    assert f'{path}: no loss_iou logged; it holds loss, loss_cls' in str(
        error.value)
    assert not (tmp_path / 'x.png').exists()


def test_draw_detections_marks_boxes():
    image = np.zeros((60, 80, 3), np.uint8)
    drawn = np.asarray(
        draw_detections(
            image, ['a', 'b'],
            np.array([[10., 10., 40., 50.]]),
            np.array([1]),
            np.array([0.9]),
            gt_boxes=np.array([[50., 5., 70., 30.]]),
            gt_labels=[0]))
    assert drawn[10:50, 10].any()  # predicted box edge
    assert (drawn[5:30, 70] == 255).all()  # white true box edge
    below = np.asarray(
        draw_detections(
            image, ['a', 'b'],
            np.array([[10., 10., 40., 50.]]),
            np.array([1]),
            np.array([0.1]),
            score_thr=0.3))
    assert not below.any()


def test_image_colours_rules():
    colours = np.eye(3)
    hot = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]], np.float32)
    mean = image_colours(hot, colours, 'mean')
    np.testing.assert_allclose(mean[0], [0.5, 0.5, 0])
    np.testing.assert_allclose(
        image_colours(hot, colours, 'first')[0], [1, 0, 0])
    np.testing.assert_allclose(mean[2], [0.6, 0.6, 0.6])
