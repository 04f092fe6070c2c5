# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The fast CPU NMS keeps exactly what mmcv's batched_nms keeps."""
import pytest
import torch
from mmcv.ops import batched_nms as mmcv_batched_nms

from lodaa_plugin.models.utils import batched_nms, grouped_nms


def _boxes(n: int, classes: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=gen) * 200
    wh = torch.rand(n, 2, generator=gen) * 60 + 4
    return (torch.cat([xy, xy + wh], 1), torch.rand(n, generator=gen),
            torch.randint(classes, (n, ), generator=gen))


@pytest.mark.parametrize('n', [300, 1001, 2500])
@pytest.mark.parametrize('iou', [0.3, 0.6])
def test_same_boxes_scores_and_order_as_mmcv(n, iou):
    boxes, scores, labels = _boxes(n, 20, seed=n)
    cfg = dict(type='nms', iou_threshold=iou)
    dets, keep = batched_nms(boxes, scores, labels, cfg)
    ref_dets, ref_keep = mmcv_batched_nms(boxes, scores, labels, cfg)
    assert torch.equal(keep, ref_keep)
    assert torch.equal(dets, ref_dets)
    assert len(keep) < n  # something was suppressed


def test_grouped_path_is_taken_and_missing_classes_are_fine():
    boxes, scores, labels = _boxes(1500, 6, seed=1)
    labels = labels * 3  # classes 0, 3, ..., 15: most ids have no box
    calls = []
    original = grouped_nms.tv_nms

    def spy(*args):
        calls.append(len(args[0]))
        return original(*args)

    grouped_nms.tv_nms = spy
    try:
        dets, keep = batched_nms(boxes, scores, labels,
                                 dict(type='nms', iou_threshold=0.5))
    finally:
        grouped_nms.tv_nms = original
    assert sorted(calls) == sorted(torch.bincount(labels)[
        torch.bincount(labels) > 0].tolist())
    ref_dets, ref_keep = mmcv_batched_nms(
        boxes, scores, labels, dict(type='nms', iou_threshold=0.5))
    assert torch.equal(keep, ref_keep) and torch.equal(dets, ref_dets)


@pytest.mark.parametrize('cfg', [
    dict(type='nms', iou_threshold=0.5, class_agnostic=True),
    dict(type='soft_nms', iou_threshold=0.5, min_score=0.05),
    dict(type='nms', iou_threshold=0.5, offset=1),
])
def test_other_nms_configs_go_to_mmcv(cfg):
    boxes, scores, labels = _boxes(1500, 20, seed=2)
    dets, keep = batched_nms(boxes, scores, labels, cfg)
    ref_dets, ref_keep = mmcv_batched_nms(boxes, scores, labels, cfg)
    assert torch.equal(keep, ref_keep) and torch.equal(dets, ref_dets)
