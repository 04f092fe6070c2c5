# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's FCOS head computes what mmdet's FCOSHead computes: the same
targets, losses, gradients and detections, with less work."""
import math

import pytest
import torch
from mmdet.models.dense_heads import FCOSHead
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch.utils._python_dispatch import TorchDispatchMode

from lodaa_plugin.models import FCOSRegCenternessHead

pytestmark = pytest.mark.usefixtures('mmdet_scope')

STRIDES = [8, 16, 32, 64, 128]

IMG = 320


def _heads(**kwargs):
    cfg = dict(
        num_classes=5,
        in_channels=8,
        feat_channels=8,
        stacked_convs=1,
        strides=STRIDES,
        norm_cfg=None,
        score_fusion='product',  # mmdet's
        test_cfg=ConfigDict(
            nms_pre=1000,
            min_bbox_size=0,
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.6),
            max_per_img=100),
        center_sampling=True,
        center_sample_radius=1.5,
        norm_on_bbox=True,
        centerness_on_reg=True,
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0))
    cfg.update(kwargs)
    torch.manual_seed(0)
    ours = FCOSRegCenternessHead(**cfg)
    cfg.pop('score_fusion')
    ref = FCOSHead(**cfg)
    ref.load_state_dict(ours.state_dict())
    return ours, ref


def _gts(counts, seed):
    """Random boxes of every size, plus exact duplicates and equal-area
    overlaps, so that ties between boxes are exercised."""
    gen = torch.Generator().manual_seed(seed)
    gts = []
    for n in counts:
        xy = torch.rand(n, 2, generator=gen) * IMG * 0.8
        wh = torch.rand(n, 2, generator=gen)**2 * IMG * 0.9 + 2
        boxes = torch.cat([xy, (xy + wh).clamp(max=IMG)], 1)
        if n >= 3:
            boxes[1] = boxes[0]  # the same box twice, other label
            boxes[2] = boxes[0] + torch.tensor([4., 0., 4., 0.])  # same area
        gts.append(
            InstanceData(
                bboxes=boxes, labels=torch.randint(5, (n, ), generator=gen)))
    return gts


def _points(head):
    sizes = [(math.ceil(IMG / s), math.ceil(IMG / s)) for s in STRIDES]
    return head.prior_generator.grid_priors(sizes, device='cpu')


def _outputs(head, batch, seed):
    torch.manual_seed(seed)
    feats = [
        torch.randn(batch, 8, math.ceil(IMG / s), math.ceil(IMG / s))
        for s in STRIDES
    ]
    return [[o.detach().requires_grad_() for o in out] for out in head(feats)]


class _HostSyncs(TorchDispatchMode):
    """Counts the operators whose result the host must wait for: on a GPU
    each one stalls the launch queue."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        if name in ('nonzero', '_local_scalar_dense', 'is_nonzero',
                    'masked_select', 'unique', '_unique2'):
            self.count += 1
        elif name in ('index', 'index_put', 'index_put_'):
            indices = args[1] if len(args) > 1 else kwargs.get('indices')
            if any(i is not None and i.dtype == torch.bool for i in indices):
                self.count += 1
        return func(*args, **(kwargs or {}))


def _syncs(head, batch):
    outs = _outputs(head, batch, seed=1)
    gts = _gts([6] * batch, seed=3)
    metas = [dict(img_shape=(IMG, IMG), pad_shape=(IMG, IMG))] * batch
    with _HostSyncs() as counter:
        head.loss_by_feat(*outs, gts, metas)
    return counter.count


@pytest.mark.parametrize('center_sampling', [True, False])
@pytest.mark.parametrize('norm_on_bbox', [True, False])
@pytest.mark.parametrize('counts', [[0], [1], [4, 0, 11], [30, 2]])
def test_targets_equal_mmdet(center_sampling, norm_on_bbox, counts):
    ours, ref = _heads(
        center_sampling=center_sampling, norm_on_bbox=norm_on_bbox)
    points = _points(ours)
    gts = _gts(counts, seed=sum(counts))
    labels, targets = ours.get_targets(points, gts)
    ref_labels, ref_targets = ref.get_targets(points, gts)
    for lvl in range(len(STRIDES)):
        assert torch.equal(labels[lvl], ref_labels[lvl]), lvl
        assert torch.equal(targets[lvl], ref_targets[lvl]), lvl
    if sum(counts):
        assert (torch.cat(labels) < 5).any()  # some positives


@pytest.mark.parametrize('counts', [[3], [4, 0, 11], [0, 0]])
def test_losses_and_gradients_equal_mmdet(counts):
    ours, ref = _heads()
    outs = _outputs(ours, len(counts), seed=len(counts))
    gts = _gts(counts, seed=7)
    metas = [dict(img_shape=(IMG, IMG), pad_shape=(IMG, IMG))] * len(counts)
    losses = ours.loss_by_feat(*outs, gts, metas)
    ref_losses = ref.loss_by_feat(*outs, gts, metas)
    assert set(losses) == set(ref_losses)
    grads, ref_grads = {}, {}
    for mine, store in ((losses, grads), (ref_losses, ref_grads)):
        for name, value in mine.items():
            flat = [o for out in outs for o in out]
            store[name] = torch.autograd.grad(
                value, flat, retain_graph=True, allow_unused=True)
    for name in losses:
        # only the order of the sums differs: level-major there,
        # image-major here
        torch.testing.assert_close(
            losses[name], ref_losses[name], rtol=1e-6, atol=1e-7)
        for g, rg in zip(grads[name], ref_grads[name]):
            if g is None or rg is None:
                assert (g is None or not g.any()) and \
                    (rg is None or not rg.any())
            else:
                torch.testing.assert_close(g, rg, rtol=1e-5, atol=1e-8)
    if sum(counts):
        assert losses['loss_bbox'] > 0


def test_host_synchronisations_do_not_grow_with_the_batch():
    ours, ref = _heads()
    # mmdet's per-image targets: the counter sees syncs that grow
    assert _syncs(ref, 8) > _syncs(ref, 1)
    # the batched targets: none per image
    assert _syncs(ours, 8) == _syncs(ours, 1)


def _maps(seed=0):
    """Thousands of candidates, as from an untrained model, so that the
    grouped NMS and the top-k selection both run."""
    sizes = [math.ceil(IMG / s) for s in STRIDES]
    gen = torch.Generator().manual_seed(seed)
    cls = [torch.randn(2, 20, s, s, generator=gen) for s in sizes]
    box = [torch.rand(2, 4, s, s, generator=gen) * 3 for s in sizes]
    ctr = [torch.randn(2, 1, s, s, generator=gen) for s in sizes]
    return cls, box, ctr


METAS = [dict(img_shape=(IMG, IMG), scale_factor=(2., 1.5))] * 2


@pytest.mark.parametrize('rescale', [True, False])
@pytest.mark.parametrize('with_nms', [True, False])
def test_detections_equal_mmdet(rescale, with_nms):
    ours, ref = _heads(num_classes=20)
    cls, box, ctr = _maps()
    metas = METAS
    with torch.no_grad():
        dets = ours.predict_by_feat(
            cls,
            box,
            ctr,
            batch_img_metas=metas,
            rescale=rescale,
            with_nms=with_nms)
        ref_dets = ref.predict_by_feat(
            cls,
            box,
            ctr,
            batch_img_metas=metas,
            rescale=rescale,
            with_nms=with_nms)
    for mine, theirs in zip(dets, ref_dets):
        assert len(mine) == 100 if with_nms else len(mine) > 3000
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(getattr(mine, key), getattr(theirs, key)), key


@pytest.mark.parametrize('nms', [
    dict(type='soft_nms', iou_threshold=0.5, min_score=0.05),
    dict(type='nms', iou_threshold=0.5, class_agnostic=True),
    dict(type='nms', iou_threshold=0.5, offset=1),
])
def test_detections_with_other_nms_kinds_equal_mmdet(nms):
    """NMS configs the batched rules do not reproduce take mmdet's path."""
    ours, ref = _heads(num_classes=20)
    cfg = ConfigDict(ours.test_cfg, nms=nms)
    cls, box, ctr = _maps(1)
    with torch.no_grad():
        dets = ours.predict_by_feat(cls, box, ctr, METAS, cfg, rescale=True)
        ref_dets = ref.predict_by_feat(cls, box, ctr, METAS, cfg, rescale=True)
    for mine, theirs in zip(dets, ref_dets):
        assert len(mine) == 100
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(getattr(mine, key), getattr(theirs, key)), key


def test_detections_without_centerness_equal_mmdet():
    """No score factors: class probabilities rank the boxes, unfused."""
    ours, ref = _heads(num_classes=20, score_fusion='sqrt')
    cls, box, _ = _maps(2)
    with torch.no_grad():
        dets = ours.predict_by_feat(cls, box, None, METAS, rescale=True)
        ref_dets = ref.predict_by_feat(cls, box, None, METAS, rescale=True)
    for mine, theirs, probs in zip(
            dets, ref_dets, torch.cat([c.sigmoid().flatten(2) for c in cls],
                                      2)):
        assert len(mine) == 100
        assert float(mine.scores.max()) == pytest.approx(
            float(probs.max()), abs=1e-6)
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(getattr(mine, key), getattr(theirs, key)), key
