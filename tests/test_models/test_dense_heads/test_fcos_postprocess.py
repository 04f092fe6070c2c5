# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""One definition of the FCOS head's test-time rules: the batched
computation (what the head runs, the end-to-end export traces and the
network-only export's runtime calls) gives mmdet's per-image path's
detections on the same head outputs."""
import copy

import numpy as np
import pytest
import torch
from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
from mmengine.config import Config, ConfigDict

from lodaa_plugin.models.dense_heads.fcos_postprocess import (FCOSTestRules,
                                                              level_points,
                                                              plain_nms_iou)
from lodaa_plugin.padded_detections import split_detections
from lodaa_testing import config_path

SIZES = [(28, 28), (14, 14), (7, 7)]
METAS = [
    dict(img_shape=(224, 200), scale_factor=(0.5, 0.6)),
    dict(img_shape=(224, 224), scale_factor=(1.0, 1.0)),
    dict(img_shape=(150, 224), scale_factor=(2.0, 1.5)),
]
TEST_CFGS = [
    dict(
        nms_pre=1000,
        score_thr=0.05,
        min_bbox_size=0,
        nms=dict(type='nms', iou_threshold=0.6),
        max_per_img=100),
    dict(
        nms_pre=50,
        score_thr=0.3,
        min_bbox_size=20,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=30),
    dict(
        nms_pre=-1,
        score_thr=0.0,
        min_bbox_size=-1,
        nms=dict(type='nms', iou_threshold=0.7, split_thr=10000),
        max_per_img=300),
]


@pytest.fixture(scope='module')
def head(mmdet_scope_module):
    from mmdet.registry import MODELS
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    return MODELS.build(
        dict(cfg.model.bbox_head, test_cfg=cfg.model.test_cfg)).eval()


@pytest.fixture(scope='module')
def mmdet_scope_module():
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')


def _outputs(seed: int, ties: bool):
    """Random head outputs: thousands of candidates above the threshold;
    with ``ties``, half of the class scores equal to another's."""
    gen = torch.Generator().manual_seed(seed)
    cls = [torch.randn(3, 20, h, w, generator=gen) * 2 - 2 for h, w in SIZES]
    ctr = [torch.randn(3, 1, h, w, generator=gen) for h, w in SIZES]
    box = [
        torch.rand(3, 4, h, w, generator=gen) * 80 * (i + 1)
        for i, (h, w) in enumerate(SIZES)
    ]
    if ties:
        for m in cls:
            # class pairs score exactly alike at every location: equal
            # scores on the same box, which NMS keeps apart by class
            m[:, 1::2] = m[:, 0::2]
    return cls, ctr, box


def _rows(bboxes, scores, labels):
    return sorted(
        zip(
            np.round(np.asarray(scores, np.float64), 5).tolist(),
            np.asarray(labels).tolist(),
            np.asarray(bboxes, np.float64).tolist()))


def _same(a, b, box_tol=1e-3):
    assert len(a) == len(b)
    for (sa, la, ba), (sb, lb, bb) in zip(a, b):
        assert sa == pytest.approx(sb, abs=2e-5) and la == lb
        assert np.abs(np.subtract(ba, bb)).max() < box_tol


@pytest.mark.parametrize('fusion', ['sqrt', 'product'])
@pytest.mark.parametrize('test_cfg', TEST_CFGS)
@pytest.mark.parametrize('ties', [False, True])
def test_batched_rules_equal_mmdet_per_image_path(head, fusion, test_cfg,
                                                  ties):
    cls, ctr, box = _outputs(0, ties)
    head.score_fusion = fusion
    cfg = ConfigDict(copy.deepcopy(test_cfg))
    # mmdet's per-image path (with the head's score fusion), which the
    # head takes for other NMS kinds
    reference = BaseDenseHead.predict_by_feat(
        head, cls, box, ctr, METAS, cfg=cfg, rescale=True)
    # what the head runs for a plain NMS, and the export traces
    batched = head.predict_by_feat(
        cls, box, ctr, METAS, cfg=ConfigDict(test_cfg), rescale=True)
    assert sum(len(r) for r in reference) > 30
    for ref, got in zip(reference, batched):
        _same(
            _rows(ref.bboxes, ref.scores, ref.labels),
            _rows(got.bboxes, got.scores, got.labels))


def test_rules_come_from_the_built_head(head):
    head.score_fusion = 'sqrt'
    rules = FCOSTestRules.from_head(head)
    assert rules.score_fusion == 'sqrt'
    assert rules.strides == (8, 16, 32)
    assert rules.iou_threshold == 0.6 and rules.nms_pre == 1000
    # what deploy.json stores reads back as the same rules
    assert FCOSTestRules.from_deploy_dict(rules.to_deploy_dict()) == rules


def test_points_are_centres_row_major():
    np.testing.assert_array_equal(
        level_points(2, 3, 8, 'cpu').numpy(),
        [[4, 4], [12, 4], [20, 4], [4, 12], [12, 12], [20, 12]])


@pytest.mark.parametrize('kind', [np.asarray, torch.as_tensor])
def test_padded_outputs_are_cut_per_image(kind):
    boxes = kind(np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4))
    scores = kind(np.array([[.9, .8, 0], [.7, 0, 0]], np.float32))
    labels = kind(np.array([[1, 0, -1], [2, -1, -1]]))
    first, second = split_detections(
        kind(np.array([2, 1])), boxes, scores, labels)
    assert first['labels'].tolist() == [1, 0]
    assert second['labels'].tolist() == [2]
    assert second['bboxes'].tolist() == [[12, 13, 14, 15]]
    assert type(first['scores']) is type(scores)


@pytest.mark.parametrize('nms', [
    dict(type='soft_nms', iou_threshold=0.5),
    dict(type='nms', iou_threshold=0.5, offset=1),
    dict(type='nms', iou_threshold=0.5, class_agnostic=True),
    dict(type='nms', iou_threshold=0.5, max_num=50),
])
def test_other_nms_kinds_are_named_and_refused(head, nms):
    assert plain_nms_iou(nms) is None
    with pytest.raises(ValueError, match='not a plain'):
        FCOSTestRules.from_head(head, dict(nms=nms))
