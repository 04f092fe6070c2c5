# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
# FCOS: Tian et al., "FCOS: A simple and strong anchor-free object detector",
# arXiv 2006.09214. Built on mmdet's FCOSHead (Apache 2.0, OpenMMLab).
"""FCOS head whose centerness branch sits on the box-regression stem."""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.dense_heads import FCOSHead
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import get_box_tensor
from mmdet.utils import ConfigType, InstanceList, OptInstanceList, reduce_mean
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from ...padded_detections import split_detections
from ..utils import pad_boxes
from .fcos_postprocess import (SCORE_FUSIONS, FCOSTestRules,
                               batched_detections, plain_nms_iou)

BBOX_LOSS_WEIGHTINGS = ('centerness', 'mean')
# the settings this head adds to mmdet's FCOSHead: drop them to build that
# head from this one's config
NOT_IN_MMDET_FCOS_HEAD = ('score_fusion', 'bbox_loss_weighting', 'assigner')
# head settings the assigner must share (norm_on_bbox also scales the
# predictions in forward_single)
_ASSIGNER_KEYS = ('num_classes', 'strides', 'regress_ranges',
                  'center_sampling', 'center_sample_radius', 'norm_on_bbox')


@MODELS.register_module()
class FCOSRegCenternessHead(FCOSHead):
    """FCOS head with centerness predicted from the regression tower.

    mmdet's ``FCOSHead`` with ``centerness_on_reg=True`` fixed (the paper's
    follow-up, arXiv 2006.09214, Sec. 3.3), its other improvements on by
    default (centre sampling, stride-normalised targets), targets assigned
    for the whole batch at once, boxes marked ignored (VOC ``difficult``)
    neither positive nor negative, and a batched prediction
    (:func:`batched_detections`) that the export traces. How much each
    setting gives: docs/benchmarks.md.

    Args:
        num_classes (int): Number of object classes.
        in_channels (int): Channels of each FPN level.
        score_fusion (str): Test score from the class probability and the
            centerness: ``'sqrt'`` for ``sqrt(cls * ctr)`` (the paper's
            code), ``'product'`` for ``cls * ctr`` (mmdet's). Defaults to
            ``'sqrt'``.
        center_sampling (bool): Positives only near box centres. Defaults
            to True (mmdet: False).
        center_sample_radius (float): Centre radius, in strides. Defaults
            to 1.5.
        norm_on_bbox (bool): Regression targets divided by the stride.
            Defaults to True (mmdet: False).
        loss_bbox (dict): Box loss config. Defaults to mmdet's
            ``dict(type='IoULoss', loss_weight=1.0)``.
        bbox_loss_weighting (str): ``'centerness'`` weighs each positive's
            box loss by its centerness target and divides by their sum
            (mmdet's), ``'mean'`` takes the plain mean (torchvision's).
            Defaults to ``'centerness'``.
        assigner (dict): Target assigner config; the head fills in its own
            classes, strides, ranges and sampling settings. Defaults to
            ``dict(type='FCOSBatchAssigner')``.
        **kwargs: Everything :class:`mmdet.models.FCOSHead` accepts.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 score_fusion: str = 'sqrt',
                 center_sampling: bool = True,
                 center_sample_radius: float = 1.5,
                 norm_on_bbox: bool = True,
                 loss_bbox: ConfigType = dict(type='IoULoss', loss_weight=1.0),
                 bbox_loss_weighting: str = 'centerness',
                 assigner: ConfigType = dict(type='FCOSBatchAssigner'),
                 **kwargs) -> None:
        if kwargs.pop('centerness_on_reg', True) is not True:
            raise ValueError(
                'FCOSRegCenternessHead always predicts centerness from the '
                "regression tower; use mmdet's FCOSHead for the other "
                'placement.')
        if score_fusion not in SCORE_FUSIONS:
            raise ValueError(f'score_fusion must be one of {SCORE_FUSIONS}, '
                             f'got {score_fusion!r}')
        if bbox_loss_weighting not in BBOX_LOSS_WEIGHTINGS:
            raise ValueError('bbox_loss_weighting must be one of '
                             f'{BBOX_LOSS_WEIGHTINGS}, got '
                             f'{bbox_loss_weighting!r}')
        self.score_fusion = score_fusion
        self.bbox_loss_weighting = bbox_loss_weighting
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            center_sampling=center_sampling,
            center_sample_radius=center_sample_radius,
            norm_on_bbox=norm_on_bbox,
            centerness_on_reg=True,
            loss_bbox=loss_bbox,
            **kwargs)
        assigner = dict(assigner)
        for key in _ASSIGNER_KEYS:
            value = getattr(self, key)
            if key in assigner and assigner[key] != value:
                raise ValueError(
                    f'assigner.{key}={assigner[key]!r} differs from the '
                    f"head's {key}={value!r}: set it on the head only.")
            assigner[key] = value
        self.assigner = TASK_UTILS.build(assigner)

    def get_targets(
            self, points: List[Tensor], batch_gt_instances: InstanceList
    ) -> Tuple[List[Tensor], List[Tensor]]:
        """mmdet's ``FCOSHead.get_targets`` (per level, labels (B * P_l, )
        and box targets (B * P_l, 4), image-minor), for the whole batch at
        once."""
        labels, targets = self._batch_targets(points, batch_gt_instances)
        counts = [len(p) for p in points]
        return ([lvl.reshape(-1) for lvl in labels.split(counts, 1)],
                [lvl.reshape(-1, 4) for lvl in targets.split(counts, 1)])

    def _batch_targets(
            self, points: List[Tensor],
            batch_gt_instances: InstanceList) -> Tuple[Tensor, Tensor]:
        """Assign (B, P) labels and (B, P, 4) box targets over all levels."""
        boxes, labels, valid = pad_boxes(
            [get_box_tensor(gt.bboxes) for gt in batch_gt_instances],
            [gt.labels for gt in batch_gt_instances])
        return self.assigner.assign(points, boxes, labels, valid)

    def loss_by_feat(
        self,
        cls_scores: List[Tensor],
        bbox_preds: List[Tensor],
        centernesses: List[Tensor],
        batch_gt_instances: InstanceList,
        batch_img_metas: List[dict],
        batch_gt_instances_ignore: OptInstanceList = None
    ) -> Dict[str, Tensor]:
        """mmdet's ``FCOSHead.loss_by_feat`` (``loss_cls``, ``loss_bbox``,
        ``loss_centerness``), with the targets of the whole batch at once
        (no per-image host synchronisation), ``bbox_loss_weighting``, and
        ``batch_gt_instances_ignore`` (VOC difficult boxes) honoured."""
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        points = self.prior_generator.grid_priors(
            featmap_sizes,
            dtype=bbox_preds[0].dtype,
            device=bbox_preds[0].device)
        labels, bbox_targets = self._batch_targets(points, batch_gt_instances)
        num_imgs = cls_scores[0].size(0)

        def flat(maps: List[Tensor], channels: int) -> Tensor:
            # image-major, then level, then location: the order of labels
            return torch.cat([
                m.permute(0, 2, 3, 1).reshape(num_imgs, -1, channels)
                for m in maps
            ], 1).reshape(-1, channels)

        flatten_cls_scores = flat(cls_scores, self.cls_out_channels)
        flatten_bbox_preds = flat(bbox_preds, 4)
        flatten_centerness = flat(centernesses, 1).reshape(-1)
        flatten_labels = labels.reshape(-1)
        flatten_bbox_targets = bbox_targets.reshape(-1, 4)

        pos = (flatten_labels >= 0) & (flatten_labels < self.num_classes)
        num_pos = reduce_mean(pos.sum().float()).clamp(min=1.0)
        loss_cls = self.loss_cls(
            flatten_cls_scores,
            flatten_labels,
            weight=self._ignore_weights(points, labels,
                                        batch_gt_instances_ignore),
            avg_factor=num_pos)

        pos_inds = pos.nonzero().reshape(-1)
        pos_bbox_preds = flatten_bbox_preds[pos_inds]
        pos_centerness = flatten_centerness[pos_inds]
        pos_bbox_targets = flatten_bbox_targets[pos_inds]
        pos_centerness_targets = self.centerness_target(pos_bbox_targets)
        centerness_denorm = reduce_mean(
            pos_centerness_targets.sum().detach()).clamp(min=1e-6)

        if self.bbox_loss_weighting == 'centerness':
            bbox_weight = pos_centerness_targets
            bbox_denorm = centerness_denorm
        else:
            bbox_weight, bbox_denorm = None, num_pos
        if len(pos_inds) > 0:
            pos_points = torch.cat(points).repeat(num_imgs, 1)[pos_inds]
            loss_bbox = self.loss_bbox(
                self.bbox_coder.decode(pos_points, pos_bbox_preds),
                self.bbox_coder.decode(pos_points, pos_bbox_targets),
                weight=bbox_weight,
                avg_factor=bbox_denorm)
            loss_centerness = self.loss_centerness(
                pos_centerness, pos_centerness_targets, avg_factor=num_pos)
        else:
            # Zero losses that keep the graph connected for DDP.
            loss_bbox = pos_bbox_preds.sum()
            loss_centerness = pos_centerness.sum()

        return dict(
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            loss_centerness=loss_centerness)

    def _ignore_weights(
            self, points: List[Tensor], labels: Tensor,
            batch_gt_instances_ignore: OptInstanceList) -> Optional[Tensor]:
        """(B * P, ) classification weights, image-major like ``labels``
        ((B, P) from :meth:`_batch_targets`): zero for background locations
        inside an ignored box; None when no image has ignored boxes."""
        # mmdet's unpack_gt_instances gives None for a sample without
        # ignored_instances (pipelines other than VOC's)
        ignores = [
            ign if ign is not None and len(ign) else None
            for ign in batch_gt_instances_ignore or []
        ]
        if not any(ign is not None for ign in ignores):
            return None
        empty = labels.new_zeros(0)
        boxes, _, valid = pad_boxes([
            get_box_tensor(ign.bboxes) if ign is not None else empty.new_zeros(
                0, 4, dtype=points[0].dtype) for ign in ignores
        ], [ign.labels if ign is not None else empty for ign in ignores])
        xy = torch.cat(points)
        xs, ys = xy[None, :, 0, None], xy[None, :, 1, None]
        x1, y1, x2, y2 = (boxes[:, None, :, i] for i in range(4))
        inside = ((xs >= x1) & (xs <= x2) & (ys >= y1) & (ys <= y2)
                  & valid[:, None, :]).any(2)
        background = labels == self.num_classes
        return (~(inside & background)).float().reshape(-1)

    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        score_factors: Optional[List[Tensor]] = None,
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """Detections of a batch from the head's outputs.

        With centerness and a plain NMS (:func:`plain_nms_iou`) this is
        :func:`batched_detections`, the computation the end-to-end export
        traces; otherwise (no centerness, no NMS, soft-NMS, ``offset``, ...)
        mmdet's ``FCOSHead`` path with this head's score fusion. Both give
        the same detections for a plain NMS (tested).

        Args:
            cls_scores (list[Tensor]): Per level (N, C, H, W) logits.
            bbox_preds (list[Tensor]): Per level (N, 4, H, W) distances.
            score_factors (list[Tensor], optional): Per level (N, 1, H, W)
                centerness logits; None ranks by class scores alone.
            batch_img_metas (list[dict], optional): Meta information of
                each image (``img_shape``, ``scale_factor``).
            cfg (ConfigDict, optional): Test config; the head's if None.
            rescale (bool): Map boxes back to the original image. Defaults
                to False.
            with_nms (bool): Apply NMS. Defaults to True.

        Returns:
            list[InstanceData]: Per image ``bboxes``, ``scores`` and
            ``labels``, best first.
        """
        cfg = self.test_cfg if cfg is None else cfg
        if not with_nms or score_factors is None or plain_nms_iou(
                cfg.get('nms', {})) is None:
            return super().predict_by_feat(cls_scores, bbox_preds,
                                           score_factors, batch_img_metas, cfg,
                                           rescale, with_nms)
        metas, device = batch_img_metas, cls_scores[0].device
        img_shapes = torch.tensor([m['img_shape'][:2] for m in metas],
                                  dtype=torch.float32,
                                  device=device)
        scale_factors = torch.tensor(
            [m['scale_factor'] if rescale else (1., 1.) for m in metas],
            dtype=torch.float32,
            device=device)
        outputs = batched_detections([c.sigmoid() for c in cls_scores],
                                     [c.sigmoid() for c in score_factors],
                                     bbox_preds, img_shapes, scale_factors,
                                     FCOSTestRules.from_head(self, cfg))
        return [InstanceData(**image) for image in split_detections(*outputs)]

    def _bbox_post_process(self,
                           results: InstanceData,
                           cfg: ConfigDict,
                           rescale: bool = False,
                           with_nms: bool = True,
                           img_meta: Optional[dict] = None) -> InstanceData:
        """mmdet's step, with the score fusion: ``'sqrt'`` fuses here,
        ``'product'`` is mmdet's own."""
        if self.score_fusion == 'sqrt' and 'score_factors' in results:
            results.scores = (results.scores *
                              results.pop('score_factors')).sqrt()
        return super()._bbox_post_process(results, cfg, rescale, with_nms,
                                          img_meta)
