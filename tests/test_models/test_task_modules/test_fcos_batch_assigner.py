# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""FCOSBatchAssigner is registered, configurable, and shares the head's
settings (its results are checked against mmdet's FCOSHead in
test_fcos_head_equivalence.py)."""
import pytest
import torch
from mmdet.registry import TASK_UTILS

from lodaa_plugin.models import FCOSBatchAssigner, FCOSRegCenternessHead
from lodaa_plugin.models.utils import pad_boxes

pytestmark = pytest.mark.usefixtures('mmdet_scope')


def _points(size: int, strides):
    points = []
    for s in strides:
        n = size // s
        ys, xs = torch.meshgrid(
            torch.arange(n), torch.arange(n), indexing='ij')
        points.append(
            torch.stack([xs, ys], -1).reshape(-1, 2).float() * s + s // 2)
    return points


def test_built_from_the_registry_and_assigns_a_box():
    assigner = TASK_UTILS.build(
        dict(
            type='FCOSBatchAssigner',
            num_classes=3,
            strides=[8, 16],
            regress_ranges=[(-1, 32), (32, 1e8)],
            center_sampling=False,
            norm_on_bbox=False))
    assert isinstance(assigner, FCOSBatchAssigner)
    boxes, labels, valid = pad_boxes(
        [torch.tensor([[0., 0., 24., 24.]]),
         torch.zeros(0, 4)],
        [torch.tensor([2]),
         torch.zeros(0, dtype=torch.long)])
    got, targets = assigner.assign(_points(64, [8, 16]), boxes, labels, valid)
    assert got.shape == (2, 64 + 16) and targets.shape == (2, 80, 4)
    # the 3x3 P3 locations inside the 24-pixel box, largest side <= 32
    positive = got[0] == 2
    assert int(positive.sum()) == 9 and bool(positive[:64].sum() == 9)
    # the location at (4, 4) is 4 px from the left/top, 20 from right/bottom
    assert targets[0, 0].tolist() == [4., 4., 20., 20.]
    assert bool((got[1] == 3).all())  # no boxes: all background


def _head(**kwargs) -> FCOSRegCenternessHead:
    return FCOSRegCenternessHead(
        num_classes=2,
        in_channels=8,
        feat_channels=8,
        stacked_convs=1,
        norm_cfg=None,
        **kwargs)


def test_head_passes_its_settings_and_refuses_a_conflict():
    head = _head(center_sample_radius=2.0)
    assert head.assigner.center_sample_radius == 2.0
    assert head.assigner.norm_on_bbox and head.assigner.num_classes == 2
    with pytest.raises(ValueError, match='assigner.norm_on_bbox=False'):
        _head(assigner=dict(type='FCOSBatchAssigner', norm_on_bbox=False))


def test_one_regress_range_per_level_or_a_clear_error():
    with pytest.raises(ValueError, match='3 strides but 5 regress_ranges'):
        _head(strides=[8, 16, 32])
