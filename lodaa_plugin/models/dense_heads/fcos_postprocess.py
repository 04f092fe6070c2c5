# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""What LODAA's FCOS head does at test time, as one batched, fixed-shape
computation that PyTorch runs and that exports to ONNX / OpenVINO operators.

The rules (:class:`FCOSTestRules`) come from the built head and its
``test_cfg`` (or from an export's ``deploy.json``); :func:`batched_detections`
applies them: per level the
``nms_pre`` best (location, class) pairs above ``score_thr``, decoding,
clipping, rescaling, score fusion, ``min_bbox_size``, class-aware NMS and
``max_per_img``. :func:`plain_nms_iou` defines which NMS configs are "plain"
(torchvision's and ONNX's NMS do exactly what mmcv's does for them). The
head, the end-to-end export and the runtime of the network-only export all
run this one definition;
:func:`~lodaa_plugin.padded_detections.split_detections` cuts its padded
outputs per image.
"""
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

import torch
import torchvision
from torch import Tensor

SCORE_FUSIONS = ('sqrt', 'product')


def plain_nms_iou(nms_cfg: dict) -> Optional[float]:
    """Return the IoU threshold of a plain class-aware NMS config.

    Args:
        nms_cfg (dict): mmcv's NMS config, e.g. ``dict(type='nms',
            iou_threshold=0.6)``.

    Returns:
        float or None: The threshold; None for anything torchvision's and
        ONNX's NMS do not do alike (soft-NMS, ``offset``, class-agnostic,
        ``max_num``, ...).
    """
    cfg = dict(nms_cfg)
    cfg.pop('split_thr', None)  # only a speed setting of mmcv's
    if cfg.pop('type', 'nms') != 'nms' or cfg.pop('class_agnostic', False) \
            or cfg.pop('offset', 0) != 0 or set(cfg) != {'iou_threshold'}:
        return None
    return float(cfg['iou_threshold'])


class FCOSTestRules(NamedTuple):
    """The test-time settings of a LODAA FCOS head: ``strides`` (its
    levels, finest first), ``score_fusion`` (``'sqrt'`` or ``'product'``),
    ``score_thr`` (class probabilities at or below are dropped), ``nms_pre``
    (candidates kept per level, -1 for all), ``min_bbox_size`` (boxes not
    wider and higher are dropped, -1 for none), ``iou_threshold`` (of the
    class-aware NMS) and ``max_per_img``.
    """
    strides: Tuple[int, ...]
    score_fusion: str
    score_thr: float
    nms_pre: int
    min_bbox_size: float
    iou_threshold: float
    max_per_img: int

    @classmethod
    def from_head(cls,
                  head: torch.nn.Module,
                  test_cfg: Optional[dict] = None) -> 'FCOSTestRules':
        """Read the rules off a built head.

        Args:
            head (nn.Module): LODAA's ``FCOSRegCenternessHead`` (or mmdet's
                ``FCOSHead``, whose fusion is the product).
            test_cfg (dict, optional): Overrides the head's ``test_cfg``.

        Returns:
            FCOSTestRules: The rules.

        Raises:
            ValueError: When the NMS is not plain (:func:`plain_nms_iou`),
                naming the setting.
        """
        if test_cfg is None and head.test_cfg is None:
            raise ValueError('the head has no test_cfg (build it inside its '
                             'detector, or pass test_cfg)')
        cfg = dict(head.test_cfg if test_cfg is None else test_cfg)
        iou = plain_nms_iou(cfg.get('nms', {}))
        if iou is None:
            raise ValueError(
                f'test_cfg.nms={dict(cfg.get("nms", {}))} is not a plain '
                "class-aware NMS (type='nms', iou_threshold only): ONNX's and "
                "OpenVINO's NMS cannot reproduce it")
        fusion = getattr(head, 'score_fusion', 'product')
        if fusion not in SCORE_FUSIONS:
            raise ValueError(f'score_fusion {fusion!r} is not one of '
                             f'{SCORE_FUSIONS}')
        return cls(
            strides=tuple(int(s) for s in head.strides),
            score_fusion=fusion,
            score_thr=float(cfg.get('score_thr', 0)),
            nms_pre=int(cfg.get('nms_pre', -1)),
            min_bbox_size=float(cfg.get('min_bbox_size', -1)),
            iou_threshold=iou,
            max_per_img=int(cfg.get('max_per_img', 100)))

    @classmethod
    def from_deploy_dict(cls, settings: Dict) -> 'FCOSTestRules':
        """Read the rules back from ``deploy.json`` (see
        :meth:`to_deploy_dict`).

        Args:
            settings (dict): ``deploy.json``'s content.

        Returns:
            FCOSTestRules: The rules.
        """
        test_cfg = settings['test_cfg']
        return cls(
            strides=tuple(int(s) for s in settings['strides']),
            score_fusion=settings['score_fusion'],
            score_thr=float(test_cfg['score_thr']),
            nms_pre=int(test_cfg['nms_pre']),
            min_bbox_size=float(test_cfg['min_bbox_size']),
            iou_threshold=float(test_cfg['nms_iou']),
            max_per_img=int(test_cfg['max_per_img']))

    def to_deploy_dict(self) -> Dict:
        """The rules as ``deploy.json`` stores them.

        Returns:
            dict: ``strides``, ``score_fusion`` and ``test_cfg``.
        """
        return dict(
            strides=list(self.strides),
            score_fusion=self.score_fusion,
            test_cfg=dict(
                score_thr=self.score_thr,
                nms_pre=self.nms_pre,
                min_bbox_size=self.min_bbox_size,
                nms_iou=self.iou_threshold,
                max_per_img=self.max_per_img))


class _ClassAwareNMS(torch.autograd.Function):
    """ONNX's ``NonMaxSuppression`` on per-class scores, and the same in
    PyTorch (torchvision's NMS, per image and class).

    ``class_scores`` (N, C, M) holds each candidate's score in its class
    and a negative number elsewhere; candidates are kept when above
    ``score_threshold`` and not suppressed by a better one of their class
    (IoU > ``iou_threshold``). Returns (K, 3) int64 rows
    ``[image, class, candidate]``.
    """

    @staticmethod
    def forward(ctx, boxes: Tensor, class_scores: Tensor, max_per_class: int,
                iou_threshold: float, score_threshold: float) -> Tensor:
        scores, labels = class_scores.max(dim=1)
        rows = []
        for image in range(boxes.shape[0]):
            index = (scores[image] > score_threshold).nonzero().squeeze(1)
            keep = torchvision.ops.batched_nms(boxes[image, index],
                                               scores[image, index],
                                               labels[image,
                                                      index], iou_threshold)
            index = index[keep]
            label = labels[image, index]
            # at most max_per_class per class, the best of each: a kept
            # box's rank among the kept boxes of its class
            one_hot = torch.nn.functional.one_hot(label, class_scores.shape[1])
            rank = (one_hot.cumsum(0) * one_hot).sum(1) - 1
            index, label = index[rank < max_per_class], label[rank <
                                                              max_per_class]
            rows.append(
                torch.stack([torch.full_like(index, image), label, index],
                            dim=1))
        return torch.cat(rows) if rows else boxes.new_zeros(
            (0, 3), dtype=torch.long)

    @staticmethod
    def symbolic(g, boxes, class_scores, max_per_class, iou_threshold,
                 score_threshold):
        return g.op(
            'NonMaxSuppression', boxes, class_scores,
            g.op(
                'Constant',
                value_t=torch.tensor([max_per_class], dtype=torch.long)),
            g.op(
                'Constant',
                value_t=torch.tensor([iou_threshold], dtype=torch.float)),
            g.op(
                'Constant',
                value_t=torch.tensor([score_threshold], dtype=torch.float)))


def _exporting() -> bool:
    return torch.onnx.is_in_onnx_export()


def _at_most(n: Tensor, cap: int):
    """``min(n, cap)``: an int in PyTorch, a traced tensor when exporting
    (so that the graph keeps dynamic sizes)."""
    if _exporting():
        return torch.clamp(n, max=cap) if cap > 0 else n
    n = int(n)
    return min(n, cap) if cap > 0 else n


def level_points(height: Tensor, width: Tensor, stride: int,
                 device: torch.device) -> Tensor:
    """Location centres of one level, row-major (mmdet's
    ``MlvlPointGenerator`` with offset 0.5).

    Args:
        height (Tensor | int): Rows of the level.
        width (Tensor | int): Columns of the level.
        stride (int): The level's stride.
        device (torch.device): Where the points go.

    Returns:
        Tensor: (H * W, 2) x, y.
    """
    xs = (torch.arange(width, device=device, dtype=torch.float32) +
          0.5) * stride
    ys = (torch.arange(height, device=device, dtype=torch.float32) +
          0.5) * stride
    yy, xx = torch.meshgrid(ys, xs, indexing='ij')
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)


def batched_detections(
        cls_probs: Sequence[Tensor], ctr_probs: Sequence[Tensor],
        distances: Sequence[Tensor], img_shapes: Tensor, scale_factors: Tensor,
        rules: FCOSTestRules) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Detections of a batch from the head's eval-mode maps.

    Fixed shapes throughout (candidates below the threshold are masked, not
    removed), so the same code runs in PyTorch and exports as ONNX / OpenVINO
    operators (TopK, GatherElements, NonMaxSuppression, ScatterND).

    Args:
        cls_probs (Sequence[Tensor]): Per level (N, C, H, W) class
            probabilities.
        ctr_probs (Sequence[Tensor]): Per level (N, 1, H, W) centerness
            probabilities.
        distances (Sequence[Tensor]): Per level (N, 4, H, W) left, top,
            right, bottom distances in input pixels.
        img_shapes (Tensor): (N, 2) height and width of each resized image
            inside the padded batch (boxes are clipped to it).
        scale_factors (Tensor): (N, 2) width and height factors of the
            resize (boxes are divided by them; ones to stay in input
            pixels).
        rules (FCOSTestRules): The head's test-time rules.

    Returns:
        tuple[Tensor]: ``num_dets`` (N,) int64, ``boxes`` (N, K, 4) in
        original-image pixels, ``scores`` (N, K) and ``labels`` (N, K) int64,
        best first; K = ``min(max_per_img, candidates)``, entries past
        ``num_dets`` are zeros with label -1.
    """
    num_images, num_classes = cls_probs[0].shape[:2]
    scores, labels, ctr, dist, points = [], [], [], [], []
    for cls, centerness, box, stride in zip(cls_probs, ctr_probs, distances,
                                            rules.strides):
        height, width = cls.shape[2], cls.shape[3]
        # (location, class) pairs, row-major as the head's nonzero()
        flat = cls.permute(0, 2, 3, 1).reshape(num_images, -1)
        masked = torch.where(flat > rules.score_thr, flat,
                             torch.full_like(flat, -1.0))
        count = torch._shape_as_tensor(flat)[1] if _exporting() \
            else flat.shape[1]
        top, index = masked.topk(_at_most(count, rules.nms_pre), dim=1)
        location = torch.div(index, num_classes, rounding_mode='floor')
        scores.append(top)
        labels.append(index - location * num_classes)
        ctr.append(centerness.reshape(num_images, -1).gather(1, location))
        level_dist = box.reshape(num_images, 4, -1)
        dist.append(
            level_dist.gather(2,
                              location.unsqueeze(1).expand(-1, 4, -1)))
        points.append(
            level_points(height, width, stride,
                         cls.device)[location.reshape(-1)].reshape(
                             num_images, -1, 2))
    scores, labels = torch.cat(scores, 1), torch.cat(labels, 1)
    ctr, dist, points = torch.cat(ctr, 1), torch.cat(dist,
                                                     2), torch.cat(points, 1)
    # decode, clip to the resized image, back to original pixels
    h = img_shapes[:, 0:1].to(dist.dtype)
    w = img_shapes[:, 1:2].to(dist.dtype)
    zero = torch.zeros_like(h)
    x1 = torch.max(torch.min(points[..., 0] - dist[:, 0], w), zero)
    y1 = torch.max(torch.min(points[..., 1] - dist[:, 1], h), zero)
    x2 = torch.max(torch.min(points[..., 0] + dist[:, 2], w), zero)
    y2 = torch.max(torch.min(points[..., 1] + dist[:, 3], h), zero)
    inverse = 1.0 / scale_factors.to(dist.dtype)
    boxes = torch.stack([
        x1 * inverse[:, 0:1], y1 * inverse[:, 1:2], x2 * inverse[:, 0:1],
        y2 * inverse[:, 1:2]
    ],
                        dim=2)
    valid = scores > rules.score_thr
    fused = scores * ctr
    if rules.score_fusion == 'sqrt':
        fused = fused.clamp(min=0).sqrt()
    if rules.min_bbox_size >= 0:
        valid = valid & (boxes[..., 2] - boxes[..., 0] > rules.min_bbox_size)
        valid = valid & (boxes[..., 3] - boxes[..., 1] > rules.min_bbox_size)
    fused = torch.where(valid, fused, torch.full_like(fused, -1.0))
    one_hot = torch.nn.functional.one_hot(labels, num_classes).permute(
        0, 2, 1).to(torch.bool)
    class_scores = torch.where(one_hot, fused.unsqueeze(1),
                               torch.full_like(fused.unsqueeze(1), -1.0))
    selected = _ClassAwareNMS.apply(boxes, class_scores, rules.max_per_img,
                                    rules.iou_threshold, -0.5)
    image, candidate = selected[:, 0], selected[:, 2]
    kept = torch.full_like(fused, -1.0)
    kept[image, candidate] = fused[image, candidate]
    count = torch._shape_as_tensor(kept)[1] if _exporting() \
        else kept.shape[1]
    best, order = kept.topk(_at_most(count, rules.max_per_img), dim=1)
    found = best > -0.5
    boxes = boxes.gather(1, order.unsqueeze(2).expand(-1, -1, 4))
    boxes = torch.where(found.unsqueeze(2), boxes, torch.zeros_like(boxes))
    labels = torch.where(found, labels.gather(1, order),
                         torch.full_like(order, -1))
    best = torch.where(found, best, torch.zeros_like(best))
    return found.sum(1), boxes, best, labels
