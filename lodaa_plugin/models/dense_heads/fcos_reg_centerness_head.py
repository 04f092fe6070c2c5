# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
# FCOS: Tian et al., "FCOS: A simple and strong anchor-free object detector",
# arXiv 2006.09214. Built on mmdet's FCOSHead (Apache 2.0, OpenMMLab).
"""FCOS head whose centerness branch sits on the box-regression stem."""
import copy
from typing import Dict, List, Optional, Tuple

import torch
import torchvision
from mmcv.ops import batched_nms
from mmdet.models.dense_heads import FCOSHead
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import get_box_tensor, get_box_wh, scale_boxes
from mmdet.utils import ConfigType, InstanceList, OptInstanceList, reduce_mean
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

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

    The paper's follow-up (arXiv 2006.09214, Sec. 3.3 and Table 3) moves the
    centerness branch from the classification tower to the box tower; this
    head always does so and enables the paper's other improvements by
    default: centre sampling (radius 1.5) and regression targets normalised
    by the FPN stride. Boxes marked ignored (VOC ``difficult``)
    are neither positives nor negatives: locations inside them that no other
    box claims drop out of the classification loss.

    Losses come in three parts: ``loss_cls`` (focal), ``loss_bbox`` (IoU,
    weighted by the centerness target) and ``loss_centerness`` (BCE). IoU
    rather than the follow-up's GIoU: over 6 seeds both score the same
    VOC07 mAP, and IoU the higher COCO AP in one of two runs
    (docs/benchmarks.md); it is mmdet's choice too.

    Args:
        num_classes (int): Number of object classes.
        in_channels (int): Channels of each FPN level.
        score_fusion (str): How test scores combine the class probability
            and centerness: ``'sqrt'`` for ``sqrt(cls * ctr)`` as the paper
            and its official code, ``'product'`` for ``cls * ctr`` as mmdet.
            Defaults to ``'sqrt'``.
        center_sampling (bool): Positives only near box centres. Defaults
            to True (mmdet's FCOSHead: False).
        center_sample_radius (float): Centre radius, in strides. Defaults
            to 1.5.
        norm_on_bbox (bool): Regression targets divided by the stride.
            Defaults to True (mmdet's FCOSHead: False).
        loss_bbox (dict): Box loss config. Defaults to
            ``dict(type='IoULoss', loss_weight=1.0)``, as mmdet's FCOSHead
            (torchvision's FCOS and the paper's follow-up: GIoU).
        bbox_loss_weighting (str): How the box loss averages over the
            positive locations: ``'centerness'`` weighs each by its
            centerness target and divides by their sum (mmdet's FCOSHead
            and the paper's code), ``'mean'`` takes the plain mean
            (torchvision's FCOS). Defaults to ``'centerness'``.
        assigner (dict): Target assigner config; the head fills in its own
            classes, strides, ranges and sampling settings. Defaults to
            ``dict(type='FCOSBatchAssigner')``.
        **kwargs: Everything :class:`mmdet.models.FCOSHead` accepts, except
            ``centerness_on_reg``.
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
        """Compute per-level labels and box targets for the whole batch.

        The layout is mmdet's FCOSHead's: level-major, image-minor.

        Args:
            points (list[Tensor]): Per level, (P_l, 2) locations.
            batch_gt_instances (list[InstanceData]): ``bboxes`` and
                ``labels`` per image.

        Returns:
            tuple[list[Tensor], list[Tensor]]: Per level, labels
            (B * P_l, ) and box targets (B * P_l, 4).
        """
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
        """Compute the three FCOS losses.

        Targets come for the whole batch at once; the head's only host
        synchronisation selects the positive locations (mmdet's IoU losses
        add one, and on the CPU its focal loss's one-hot two more).

        Args:
            cls_scores (list[Tensor]): Per level, (N, C, H, W) logits.
            bbox_preds (list[Tensor]): Per level, (N, 4, H, W) distances.
            centernesses (list[Tensor]): Per level, (N, 1, H, W) logits.
            batch_gt_instances (list[InstanceData]): ``bboxes`` and
                ``labels`` per image.
            batch_img_metas (list[dict]): Meta information per image.
            batch_gt_instances_ignore (list[InstanceData], optional): Boxes
                to ignore (VOC difficult) per image. Defaults to None.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox``,
            ``loss_centerness``.
        """
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
        """Weigh classification: zero for background locations inside
        ignored boxes.

        Args:
            points (list[Tensor]): Per level, (P_l, 2) locations.
            labels (Tensor): (B, P) labels from :meth:`_batch_targets`.
            batch_gt_instances_ignore (list[InstanceData], optional):
                Ignored boxes per image; None entries have none.

        Returns:
            Tensor or None: (B * P, ) weights, image-major like ``labels``;
            None when no image has ignored boxes.
        """
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

        With a plain NMS (:func:`plain_nms_iou`) this is
        :func:`batched_detections`, the computation the end-to-end export
        traces; otherwise (soft-NMS, ``offset``, no NMS, ...) mmdet's
        per-image path with :meth:`_predict_by_feat_single`. Both give the
        same detections for a plain NMS (tested).

        Args:
            cls_scores (list[Tensor]): Per level (N, C, H, W) logits.
            bbox_preds (list[Tensor]): Per level (N, 4, H, W) distances.
            score_factors (list[Tensor], optional): Per level (N, 1, H, W)
                centerness logits.
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
        rules = FCOSTestRules.from_head(self, cfg)
        device = cls_scores[0].device
        img_shapes = torch.tensor(
            [m['img_shape'][:2] for m in batch_img_metas],
            dtype=torch.float32,
            device=device)
        scale_factors = torch.tensor([
            m['scale_factor'] if rescale else (1.0, 1.0)
            for m in batch_img_metas
        ],
                                     dtype=torch.float32,
                                     device=device)
        num_dets, boxes, scores, labels = batched_detections(
            [c.sigmoid()
             for c in cls_scores], [c.sigmoid() for c in score_factors],
            bbox_preds, img_shapes, scale_factors, rules)
        return [
            InstanceData(
                bboxes=boxes[i, :n],
                scores=scores[i, :n],
                labels=labels[i, :n]) for i, n in enumerate(num_dets.tolist())
        ]

    def _predict_by_feat_single(self,
                                cls_score_list: List[Tensor],
                                bbox_pred_list: List[Tensor],
                                score_factor_list: List[Tensor],
                                mlvl_priors: List[Tensor],
                                img_meta: dict,
                                cfg: Optional[ConfigDict],
                                rescale: bool = False,
                                with_nms: bool = True) -> InstanceData:
        """Detect objects in one image: per level, the ``nms_pre`` best
        (location, class) pairs above ``score_thr``, then
        :meth:`_bbox_post_process`.

        mmdet's ``BaseDenseHead._predict_by_feat_single`` for a sigmoid head
        with centerness, with the same candidates; on the CPU the best
        scores come from ``topk`` rather than a full sort (equal results up
        to the order of equal scores).

        Args:
            cls_score_list (list[Tensor]): Per level, (C, H, W) logits.
            bbox_pred_list (list[Tensor]): Per level, (4, H, W) distances.
            score_factor_list (list[Tensor]): Per level, (1, H, W)
                centerness logits.
            mlvl_priors (list[Tensor]): Per level, (H * W, 2) locations.
            img_meta (dict): Meta information of the image.
            cfg (ConfigDict, optional): Test config; the head's if None.
            rescale (bool): Map boxes back to the original image. Defaults
                to False.
            with_nms (bool): Apply NMS. Defaults to True.

        Returns:
            InstanceData: ``bboxes``, ``scores`` and ``labels``.
        """
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        score_thr = cfg.get('score_thr', 0)
        nms_pre = cfg.get('nms_pre', -1)
        kept = dict(
            bbox_pred=[], priors=[], scores=[], labels=[], score_factors=[])
        for cls_score, bbox_pred, factor, priors in zip(
                cls_score_list, bbox_pred_list, score_factor_list,
                mlvl_priors):
            scores = cls_score.permute(1, 2, 0).reshape(
                -1, self.cls_out_channels).sigmoid()
            valid = scores > score_thr
            scores = scores[valid]
            where = valid.nonzero()  # (location, class) pairs, row-major
            num = len(scores) if nms_pre <= 0 else min(nms_pre, len(scores))
            if scores.is_cuda:
                scores, order = scores.sort(descending=True)
                scores, order = scores[:num], order[:num]
            else:
                scores, order = scores.topk(num)
            locations, labels = where[order].unbind(dim=1)
            kept['bbox_pred'].append(
                bbox_pred.permute(1, 2, 0).reshape(-1, 4)[locations])
            kept['priors'].append(priors[locations])
            kept['scores'].append(scores)
            kept['labels'].append(labels)
            kept['score_factors'].append(
                factor.permute(1, 2, 0).reshape(-1).sigmoid()[locations])
        kept = {k: torch.cat(v) for k, v in kept.items()}
        results = InstanceData(
            bboxes=self.bbox_coder.decode(
                kept.pop('priors'),
                kept.pop('bbox_pred'),
                max_shape=img_meta['img_shape']),
            **kept)
        return self._bbox_post_process(results, cfg, rescale, with_nms,
                                       img_meta)

    def _bbox_post_process(self,
                           results: InstanceData,
                           cfg: ConfigDict,
                           rescale: bool = False,
                           with_nms: bool = True,
                           img_meta: Optional[dict] = None) -> InstanceData:
        """Rescale, fuse class scores with centerness, then NMS.

        The steps of mmdet's ``BaseDenseHead._bbox_post_process`` with the
        paper's score fusion. A plain class-aware NMS on the CPU runs as
        :func:`torchvision.ops.batched_nms`, which takes one NMS per class
        above 1,000 boxes (mmcv's single NMS over class-offset boxes, its
        default up to 10,000 boxes, is quadratic in all of them); the kept
        boxes are mmcv's. Every other case goes to mmcv's ``batched_nms``.

        Args:
            results (InstanceData): Boxes, scores, labels and
                ``score_factors`` (centerness) of one image.
            cfg (ConfigDict): Test config.
            rescale (bool): Map boxes back to the original image. Defaults
                to False.
            with_nms (bool): Apply NMS. Defaults to True.
            img_meta (dict, optional): Meta information of the image.
                Defaults to None.

        Returns:
            InstanceData: The detections of the image.
        """
        if rescale:
            scale_factor = [1 / s for s in img_meta['scale_factor']]
            results.bboxes = scale_boxes(results.bboxes, scale_factor)
        if hasattr(results, 'score_factors'):
            fused = results.scores * results.pop('score_factors')
            results.scores = fused.sqrt() if self.score_fusion == 'sqrt' \
                else fused
        if cfg.get('min_bbox_size', -1) >= 0:
            w, h = get_box_wh(results.bboxes)
            valid = (w > cfg.min_bbox_size) & (h > cfg.min_bbox_size)
            if not valid.all():
                results = results[valid]
        if with_nms and results.bboxes.numel() > 0:
            boxes = get_box_tensor(results.bboxes)
            iou = plain_nms_iou(cfg.nms) if boxes.device.type == 'cpu' \
                else None
            if iou is None:
                det_bboxes, keep = batched_nms(boxes, results.scores,
                                               results.labels, cfg.nms)
            else:
                keep = torchvision.ops.batched_nms(boxes, results.scores,
                                                   results.labels, iou)
                det_bboxes = results.scores[keep, None]
            results = results[keep]
            results.scores = det_bboxes[:, -1]  # soft-NMS rescores
            results = results[:cfg.max_per_img]
        return results
