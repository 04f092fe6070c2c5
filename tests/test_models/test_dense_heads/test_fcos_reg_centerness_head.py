# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""FCOSRegCenternessHead: refused settings, losses, gradients, ignored
boxes and score fusion."""
import math

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

from lodaa_plugin.models import FCOSRegCenternessHead
from lodaa_testing import VOC07_ROOT

pytestmark = pytest.mark.usefixtures('mmdet_scope')

IMG = 256

STRIDES = [8, 16, 32, 64, 128]


def _head(**kwargs) -> FCOSRegCenternessHead:
    torch.manual_seed(0)
    cfg = dict(
        num_classes=4,
        in_channels=16,
        feat_channels=16,
        stacked_convs=2,
        strides=STRIDES,
        norm_cfg=None,
        test_cfg=ConfigDict(
            nms_pre=1000,
            min_bbox_size=0,
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.6),
            max_per_img=100))
    cfg.update(kwargs)
    head = FCOSRegCenternessHead(**cfg)
    head.init_weights()
    return head


def _feats(batch=1):
    return [
        torch.rand(batch, 16, math.ceil(IMG / s), math.ceil(IMG / s))
        for s in STRIDES
    ]


def _gt(boxes, labels):
    gt = InstanceData()
    gt.bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    gt.labels = torch.tensor(labels, dtype=torch.long)
    return gt


METAS = [dict(img_shape=(IMG, IMG), pad_shape=(IMG, IMG), scale_factor=1)]


@pytest.mark.parametrize('kwargs,message', [
    (dict(centerness_on_reg=False), 'regression tower'),
    (dict(score_fusion='max'), 'score_fusion must be one of'),
    (dict(bbox_loss_weighting='sum'), 'bbox_loss_weighting must be one of'),
    (dict(assigner=dict(type='FCOSBatchAssigner', strides=[8])),
     'assigner.strides=.* differs'),
])
def test_settings_it_cannot_honour_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _head(**kwargs)


def test_losses_like_mmdet_fcos_head_expectations():
    head = _head()
    outs = head(_feats())
    empty = head.loss_by_feat(*outs, [_gt([], [])], METAS)
    assert empty['loss_cls'].item() > 0
    assert empty['loss_bbox'].item() == 0
    assert empty['loss_centerness'].item() == 0
    one = head.loss_by_feat(*outs, [_gt([[23.6, 31.3, 94.2, 158.4]], [2])],
                            METAS)
    assert set(one) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    assert all(v.item() > 0 for v in one.values())


def test_centerness_gradient_reaches_box_tower_only():
    head = _head()
    outs = head(_feats())
    losses = head.loss_by_feat(*outs, [_gt([[20., 30., 120., 200.]], [1])],
                               METAS)
    losses['loss_centerness'].backward()
    reg_grad = sum(p.grad.abs().sum() for p in head.reg_convs.parameters()
                   if p.grad is not None)
    cls_grads = [p.grad for p in head.cls_convs.parameters()]
    assert reg_grad > 0
    assert all(g is None or g.abs().sum() == 0 for g in cls_grads)
    assert head.conv_centerness.weight.grad.abs().sum() > 0


def test_difficult_boxes_are_neither_positive_nor_negative():
    head = _head()
    outs = head(_feats())
    gt = [_gt([[20., 30., 120., 200.]], [1])]
    ignore = InstanceData(
        bboxes=torch.tensor([[140., 20., 250., 120.]]),
        labels=torch.tensor([3]))
    plain = head.loss_by_feat(*outs, gt, METAS)
    ignored = head.loss_by_feat(*outs, gt, METAS, [ignore])
    # the background inside the ignored box no longer counts as negative
    assert ignored['loss_cls'] < plain['loss_cls']
    torch.testing.assert_close(ignored['loss_bbox'], plain['loss_bbox'])
    level_points = head.prior_generator.grid_priors(
        [o.shape[-2:] for o in outs[0]], device='cpu')
    labels = head._batch_targets(level_points, gt)[0]
    weights = head._ignore_weights(level_points, labels, [ignore])
    points = torch.cat(level_points)
    inside = ((points[:, 0] >= 140) & (points[:, 0] <= 250)
              & (points[:, 1] >= 20) & (points[:, 1] <= 120))
    assert inside.any()
    assert (weights[inside] == 0).all() and (weights[~inside] == 1).all()


def test_samples_without_ignored_instances_train_as_without_ignores():
    """mmdet's unpack_gt_instances gives None when a pipeline has no
    ignored_instances (other mmdet projects' data)."""
    from mmdet.structures import DetDataSample
    head = _head()
    feats = _feats(batch=2)
    samples = []
    for boxes in ([[20., 30., 120., 200.]], [[60., 60., 160., 100.]]):
        sample = DetDataSample(metainfo=METAS[0])
        sample.gt_instances = _gt(boxes, [1])
        samples.append(sample)
    assert not hasattr(samples[0], 'ignored_instances')
    losses = head.loss(feats, samples)
    outs = head(feats)
    plain = head.loss_by_feat(*outs, [s.gt_instances for s in samples],
                              METAS * 2)
    for name, value in plain.items():
        torch.testing.assert_close(losses[name], value)
    # one image with ignored boxes, one without: the other still counts
    ignore = InstanceData(
        bboxes=torch.tensor([[140., 20., 250., 120.]]),
        labels=torch.tensor([3]))
    mixed = head.loss_by_feat(*outs, [s.gt_instances for s in samples],
                              METAS * 2, [None, ignore])
    assert mixed['loss_cls'] < plain['loss_cls']


def test_score_fusion_sqrt_and_product():
    results = {}
    for fusion in ('sqrt', 'product'):
        head = _head(score_fusion=fusion)
        head.test_cfg.score_thr = 0.  # untrained scores are all ~0.01
        head.eval()
        with torch.no_grad():
            cls, box, ctr = head(_feats())
        results[fusion] = (head, cls, box, ctr)
    head, cls, box, ctr = results['sqrt']
    dets_sqrt = head.predict_by_feat(
        cls, box, ctr, batch_img_metas=METAS, rescale=False, with_nms=False)[0]
    head_p = results['product'][0]
    dets_prod = head_p.predict_by_feat(
        cls, box, ctr, batch_img_metas=METAS, rescale=False, with_nms=False)[0]
    assert len(dets_sqrt.scores) > 0
    torch.testing.assert_close(dets_sqrt.scores, dets_prod.scores.sqrt())


def test_real_voc_image_loss_has_three_parts():
    """The full recipe's model on a real VOC image and its boxes."""
    from mmdet.registry import DATASETS, MODELS
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    cfg = Config.fromfile('configs/fcos_voc.py')
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.init_weights()
    data_cfg = cfg.train_dataloader.dataset
    data_cfg.update(
        data_root=VOC07_ROOT + '/',
        ann_file='VOC2007/ImageSets/Main/trainval.txt')
    dataset = DATASETS.build(data_cfg)
    batch = model.data_preprocessor(pseudo_collate([dataset[0]]), True)
    losses = model(**batch, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
