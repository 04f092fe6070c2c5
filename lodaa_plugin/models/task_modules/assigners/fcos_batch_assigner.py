# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
# FCOS target assignment: Tian et al., arXiv 2006.09214, Sec. 2.1-2.3 and
# the centre sampling of Sec. 3.3; the rules are mmdet's FCOSHead
# (Apache 2.0, OpenMMLab), computed here for the whole batch at once.
"""FCOS labels and box targets for a batch, in one pass over all levels."""
from typing import List, Sequence, Tuple

import torch
from mmdet.registry import TASK_UTILS
from torch import Tensor

INF = 1e8


@TASK_UTILS.register_module()
class FCOSBatchAssigner:
    """Assign FCOS targets to every location of every level of every image
    at once.

    A location is positive for a box when it lies inside the box (or inside
    its centre region, ``center_sample_radius`` strides around the centre,
    clipped to the box) and its largest distance to the box sides falls in
    its level's regression range; among such boxes the smallest wins, the
    first one on equal areas. The results equal mmdet's
    ``FCOSHead.get_targets`` exactly, without its per-image loop or host
    synchronisations.

    Args:
        num_classes (int): Number of classes; also the background label.
        strides (Sequence[int]): Per level, the stride.
        regress_ranges (Sequence[tuple]): Per level, (min, max) of the
            largest side distance.
        center_sampling (bool): Positives only in the centre region.
            Defaults to True (mmdet's FCOSHead: False).
        center_sample_radius (float): Centre region radius, in strides.
            Defaults to 1.5.
        norm_on_bbox (bool): Divide the box targets by the level's stride.
            Defaults to True (mmdet's FCOSHead: False).
    """

    def __init__(self,
                 num_classes: int,
                 strides: Sequence[int],
                 regress_ranges: Sequence[Tuple[float, float]],
                 center_sampling: bool = True,
                 center_sample_radius: float = 1.5,
                 norm_on_bbox: bool = True) -> None:
        if len(strides) != len(regress_ranges):
            # mmdet's FCOSHead asserts this only at the first loss
            raise ValueError(
                f'{len(strides)} strides but {len(regress_ranges)} '
                'regress_ranges: give one (min, max) range per level, e.g. '
                'regress_ranges=((-1, 64), (64, 128), (128, 1e8)) for '
                'strides=[8, 16, 32].')
        self.num_classes = num_classes
        self.strides = tuple(strides)
        self.regress_ranges = tuple(tuple(r) for r in regress_ranges)
        self.center_sampling = center_sampling
        self.center_sample_radius = center_sample_radius
        self.norm_on_bbox = norm_on_bbox

    def assign(self, points: List[Tensor], gt_boxes: Tensor, gt_labels: Tensor,
               gt_valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Compute the labels and box targets of a batch.

        Args:
            points (list[Tensor]): Per level, (P_l, 2) location coordinates.
            gt_boxes (Tensor): (B, G, 4) boxes, padded (see
                :func:`lodaa_plugin.models.utils.pad_boxes`).
            gt_labels (Tensor): (B, G) labels.
            gt_valid (Tensor): (B, G) mask of real boxes.

        Returns:
            tuple[Tensor, Tensor]: Labels (B, P) with ``num_classes`` for
            the background, and box targets (B, P, 4) as (left, top, right,
            bottom) distances, P being all levels' locations in level order.
        """
        return _fcos_targets(points, self.strides, self.regress_ranges,
                             gt_boxes, gt_labels, gt_valid, self.num_classes,
                             self.center_sampling, self.center_sample_radius,
                             self.norm_on_bbox)


def _fcos_targets(points: List[Tensor], strides: Sequence[int],
                  regress_ranges: Sequence[Tuple[float,
                                                 float]], gt_boxes: Tensor,
                  gt_labels: Tensor, gt_valid: Tensor, num_classes: int,
                  center_sampling: bool, center_sample_radius: float,
                  norm_on_bbox: bool) -> Tuple[Tensor, Tensor]:
    """Compute :meth:`FCOSBatchAssigner.assign`, top to bottom."""
    counts = [len(p) for p in points]
    xy = torch.cat(points)

    def per_level(values: Sequence) -> Tensor:
        # one row per location: its level's value
        rows = [xy.new_tensor(v) for v in values]
        return torch.cat([r.expand(n, *r.shape) for r, n in zip(rows, counts)])

    ranges = per_level(regress_ranges)[None]  # (1, P, 2)
    xs, ys = xy[None, :, 0, None], xy[None, :, 1, None]  # (1, P, 1)
    x1, y1, x2, y2 = (gt_boxes[:, None, :, i] for i in range(4))  # (B,1,G)

    left, top, right, bottom = xs - x1, ys - y1, x2 - xs, y2 - ys
    if center_sampling:
        radius = per_level([s * center_sample_radius
                            for s in strides])[None, :, None]
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        x_mins, y_mins = cx - radius, cy - radius
        x_maxs, y_maxs = cx + radius, cy + radius
        inside = torch.minimum(
            torch.minimum(xs - torch.where(x_mins > x1, x_mins, x1),
                          ys - torch.where(y_mins > y1, y_mins, y1)),
            torch.minimum(
                torch.where(x_maxs > x2, x2, x_maxs) - xs,
                torch.where(y_maxs > y2, y2, y_maxs) - ys)) > 0
    else:
        inside = torch.minimum(
            torch.minimum(left, top), torch.minimum(right, bottom)) > 0
    reach = torch.maximum(
        torch.maximum(left, top), torch.maximum(right, bottom))
    in_range = (reach >= ranges[..., 0, None]) & (
        reach <= ranges[..., 1, None])
    areas = ((gt_boxes[..., 2] - gt_boxes[..., 0]) *
             (gt_boxes[..., 3] - gt_boxes[..., 1]))[:, None, :]
    areas = torch.where(inside & in_range & gt_valid[:, None, :], areas,
                        areas.new_tensor(INF))
    min_area, winner = areas.min(dim=2)  # first index on ties, as mmdet

    labels = torch.gather(gt_labels, 1, winner)
    labels = torch.where(min_area == INF, labels.new_tensor(num_classes),
                         labels)
    pick = winner[..., None]
    targets = torch.cat([
        torch.gather(d.expand_as(areas), 2, pick)
        for d in (left, top, right, bottom)
    ], -1)
    # images without boxes: zeros, as mmdet (never used by the losses)
    targets = torch.where(
        gt_valid.any(1)[:, None, None], targets, targets.new_zeros(()))
    if norm_on_bbox:
        targets = targets / per_level(strides)[None, :, None]
    return labels, targets
