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
    # the default: each image a legend colour, that of its rarest class
    hot = np.array([[1, 1, 0], [1, 0, 0], [1, 0, 1], [0, 1, 0]], np.float32)
    rarest = image_colours(hot, colours)
    np.testing.assert_allclose(rarest,
                               [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_labels_stay_inside_the_image_and_off_each_other():
    from lodaa_plugin.visualization.detections import place_labels

    # eight boxes sharing a corner, and boxes at every edge of a 300x300
    corner = [(100, 100, 100 + 10 * k, 100 + 8 * k) for k in range(4, 12)]
    edges = [(0, 0, 40, 30), (260, 270, 300, 300), (280, 0, 300, 20),
             (0, 285, 15, 300)]
    rects = place_labels(corner + edges, [(70, 12)] * 12, (300, 300))
    assert None not in rects  # room for all twelve
    for x1, y1, x2, y2 in rects:
        assert 0 <= x1 < x2 <= 300 and 0 <= y1 < y2 <= 300
    overlapping = [
        (a, b) for i, a in enumerate(rects) for b in rects[i + 1:]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]
    assert not overlapping
    # hundreds of small boxes: labels never stack; those with no room are
    # left out (the best box keeps its label), none covers another box's
    # centre
    grid = [(x, y, x + 12, y + 12) for x in range(0, 300, 20)
            for y in range(0, 300, 20)]
    rects = place_labels(grid, [(60, 12)] * len(grid), (300, 300))
    kept = [r for r in rects if r is not None]
    assert rects[0] is not None and 0 < len(kept) < len(grid)
    assert not [(a, b) for i, a in enumerate(kept) for b in kept[i + 1:]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    for rect in kept:  # no object hidden under a label
        assert not [
            (x1, y1) for x1, y1, _, _ in grid
            if rect[0] < x1 + 6 < rect[2] and rect[1] < y1 + 6 < rect[3]
        ]
    # a large box keeps its label inside, a small one gets it above
    big, small = place_labels([(50, 50, 250, 250), (100, 20, 120, 30)],
                              [(70, 12), (70, 12)], (300, 300))
    assert big[:2] == (50, 50)
    assert small[3] <= 20


def test_label_options_and_a_font_sized_to_the_image():
    from lodaa_plugin.visualization.detections import label_font
    image = np.zeros((300, 300, 3), np.uint8)
    args = (['cellbody'], np.array([[20., 20., 200.,
                                     200.]]), np.array([0]), np.array([0.9]))
    boxes_only = np.asarray(draw_detections(image, *args, show_labels=False))
    labelled = np.asarray(draw_detections(image, *args))
    no_score = np.asarray(draw_detections(image, *args, show_scores=False))
    assert (boxes_only != labelled).any()  # the label is drawn
    assert (boxes_only[30:190, 30:190] == 0).all()  # and nothing else
    assert (no_score != labelled).any()
    # the legend: the drawn class's colour in the top-right corner
    with_legend = np.asarray(draw_detections(image, *args, legend=True))
    corner = with_legend[:18, 210:].reshape(-1, 3)
    assert (corner == (230, 25, 75)).all(1).any()
    assert not (labelled[:18, 210:] != 0).any()
    assert label_font((1000, 800)).size > label_font((300, 300)).size
    assert label_font((1000, 1000), 2.0).size == 2 * label_font(
        (1000, 1000)).size


def test_a_contact_sheet_keeps_every_image_whole(tmp_path):
    from lodaa_plugin.visualization import save_detection_grid
    wide = Image.new('RGB', (300, 200), (255, 0, 0))
    tall = Image.new('RGB', (200, 300), (0, 255, 0))
    grid = Image.open(
        save_detection_grid([wide, tall], str(tmp_path / 'g.png'),
                            columns=2)).convert('RGB')
    assert grid.size == (600, 300)  # tiles of the widest and highest
    pixels = np.asarray(grid)
    assert (pixels[:200, :300] == (255, 0, 0)).all()  # wide, whole
    assert (pixels[:300, 300:500] == (0, 255, 0)).all()  # tall, whole
