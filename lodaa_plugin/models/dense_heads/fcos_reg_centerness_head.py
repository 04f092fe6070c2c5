# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
# FCOS: Tian et al., "FCOS: A simple and strong anchor-free object detector",
# arXiv 2006.09214. Built on mmdet's FCOSHead (Apache 2.0, OpenMMLab).
"""FCOS head whose centerness branch sits on the box-regression stem."""
from typing import Dict, List, Optional

import torch
from mmdet.models.dense_heads import FCOSHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import get_box_tensor, get_box_wh, scale_boxes
from mmdet.utils import ConfigType, InstanceList, OptInstanceList, reduce_mean
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from ..utils import batched_nms

INF = 1e8
SCORE_FUSIONS = ('sqrt', 'product')


@MODELS.register_module()
class FCOSRegCenternessHead(FCOSHead):
    """FCOS head with centerness predicted from the regression tower.

    The paper's follow-up (arXiv 2006.09214, Sec. 3.3 and Table 3) moves the
    centerness branch from the classification tower to the box tower; this
    head always does so and enables the paper's other improvements by
    default: centre sampling (radius 1.5), GIoU loss, regression targets
    normalised by the FPN stride. Boxes marked ignored (VOC ``difficult``)
    are neither positives nor negatives: locations inside them that no other
    box claims drop out of the classification loss.

    Losses come in three parts: ``loss_cls`` (focal), ``loss_bbox`` (GIoU,
    weighted by the centerness target) and ``loss_centerness`` (BCE).

    Args:
        num_classes (int): Number of object classes.
        in_channels (int): Channels of each FPN level.
        score_fusion (str): How test scores combine the class probability
            and centerness: ``'sqrt'`` for ``sqrt(cls * ctr)`` as the paper
            and its official code, ``'product'`` for ``cls * ctr`` as mmdet.
        center_sampling (bool): Positives only near box centres.
        center_sample_radius (float): Centre radius, in strides.
        norm_on_bbox (bool): Regression targets divided by the stride.
        loss_bbox (dict): Box loss config. Defaults to GIoU.
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
                 loss_bbox: ConfigType = dict(
                     type='GIoULoss', loss_weight=1.0),
                 **kwargs) -> None:
        if kwargs.pop('centerness_on_reg', True) is not True:
            raise ValueError(
                'FCOSRegCenternessHead always predicts centerness from the '
                "regression tower; use mmdet's FCOSHead for the other "
                'placement.')
        if score_fusion not in SCORE_FUSIONS:
            raise ValueError(f'score_fusion must be one of {SCORE_FUSIONS}, '
                             f'got {score_fusion!r}')
        self.score_fusion = score_fusion
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            center_sampling=center_sampling,
            center_sample_radius=center_sample_radius,
            norm_on_bbox=norm_on_bbox,
            centerness_on_reg=True,
            loss_bbox=loss_bbox,
            **kwargs)

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

        Args:
            cls_scores (list[Tensor]): Per level, (N, C, H, W) logits.
            bbox_preds (list[Tensor]): Per level, (N, 4, H, W) distances.
            centernesses (list[Tensor]): Per level, (N, 1, H, W) logits.
            batch_gt_instances (list[InstanceData]): ``bboxes`` and
                ``labels`` per image.
            batch_img_metas (list[dict]): Meta information per image.
            batch_gt_instances_ignore (list[InstanceData], optional): Boxes
                to ignore (VOC difficult) per image.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox``,
            ``loss_centerness``.
        """
        featmap_sizes = [featmap.size()[-2:] for featmap in cls_scores]
        device = bbox_preds[0].device
        all_level_points = self.prior_generator.grid_priors(
            featmap_sizes, dtype=bbox_preds[0].dtype, device=device)
        labels, bbox_targets = self.get_targets(all_level_points,
                                                batch_gt_instances)
        num_imgs = cls_scores[0].size(0)

        flatten_cls_scores = torch.cat([
            s.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels)
            for s in cls_scores
        ])
        flatten_bbox_preds = torch.cat(
            [p.permute(0, 2, 3, 1).reshape(-1, 4) for p in bbox_preds])
        flatten_centerness = torch.cat(
            [c.permute(0, 2, 3, 1).reshape(-1) for c in centernesses])
        flatten_labels = torch.cat(labels)
        flatten_bbox_targets = torch.cat(bbox_targets)
        flatten_points = torch.cat(
            [points.repeat(num_imgs, 1) for points in all_level_points])

        bg_class_ind = self.num_classes
        pos_inds = ((flatten_labels >= 0)
                    & (flatten_labels < bg_class_ind)).nonzero().reshape(-1)
        num_pos = torch.tensor(
            len(pos_inds), dtype=torch.float, device=device)
        num_pos = max(reduce_mean(num_pos), 1.0)

        cls_weight = self._ignore_weights(all_level_points, flatten_labels,
                                          batch_gt_instances_ignore,
                                          num_imgs)
        loss_cls = self.loss_cls(
            flatten_cls_scores,
            flatten_labels,
            weight=cls_weight,
            avg_factor=num_pos)

        pos_bbox_preds = flatten_bbox_preds[pos_inds]
        pos_centerness = flatten_centerness[pos_inds]
        pos_bbox_targets = flatten_bbox_targets[pos_inds]
        pos_centerness_targets = self.centerness_target(pos_bbox_targets)
        centerness_denorm = max(
            reduce_mean(pos_centerness_targets.sum().detach()), 1e-6)

        if len(pos_inds) > 0:
            pos_points = flatten_points[pos_inds]
            loss_bbox = self.loss_bbox(
                self.bbox_coder.decode(pos_points, pos_bbox_preds),
                self.bbox_coder.decode(pos_points, pos_bbox_targets),
                weight=pos_centerness_targets,
                avg_factor=centerness_denorm)
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

    def _ignore_weights(self, points: List[Tensor], flatten_labels: Tensor,
                        batch_gt_instances_ignore: OptInstanceList,
                        num_imgs: int) -> Optional[Tensor]:
        """Zero classification weight for background points inside ignored
        boxes, in the level-major, image-minor order of ``flatten_labels``.

        Returns None when no image has ignored boxes.
        """
        if not batch_gt_instances_ignore or all(
                len(ign) == 0 for ign in batch_gt_instances_ignore):
            return None
        inside = []
        for level_points in points:
            xs, ys = level_points[:, 0], level_points[:, 1]
            for ignored in batch_gt_instances_ignore:
                boxes = ignored.bboxes
                if len(boxes) == 0:
                    inside.append(xs.new_zeros(len(xs), dtype=torch.bool))
                    continue
                hit = ((xs[:, None] >= boxes[:, 0]) & (xs[:, None] <= boxes[:, 2])
                       & (ys[:, None] >= boxes[:, 1])
                       & (ys[:, None] <= boxes[:, 3]))
                inside.append(hit.any(dim=1))
        inside = torch.cat(inside)
        background = flatten_labels == self.num_classes
        return (~(inside & background)).float()

    def _bbox_post_process(self,
                           results: InstanceData,
                           cfg: ConfigDict,
                           rescale: bool = False,
                           with_nms: bool = True,
                           img_meta: Optional[dict] = None) -> InstanceData:
        """Rescale, fuse class scores with centerness, then NMS.

        The steps of mmdet's ``BaseDenseHead._bbox_post_process`` with the
        paper's score fusion and an NMS that is fast with thousands of boxes
        on the CPU (:func:`lodaa_plugin.models.utils.batched_nms`, same
        results as mmcv's).

        Args:
            results (InstanceData): Boxes, scores, labels and
                ``score_factors`` (centerness) of one image.
            cfg (ConfigDict): Test config.
            rescale (bool): Map boxes back to the original image.
            with_nms (bool): Apply NMS.
            img_meta (dict, optional): Meta information of the image.

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
            det_bboxes, keep = batched_nms(
                get_box_tensor(results.bboxes), results.scores,
                results.labels, cfg.nms)
            results = results[keep]
            results.scores = det_bboxes[:, -1]  # soft-NMS rescores
            results = results[:cfg.max_per_img]
        return results
