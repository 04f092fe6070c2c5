# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Class-aware NMS that stays fast on the CPU with thousands of boxes."""
from typing import Tuple

import torch
from mmcv.ops import batched_nms as mmcv_batched_nms
from torch import Tensor
from torchvision.ops import nms as tv_nms

# Above this many boxes one NMS per class beats one NMS over all classes
# with offset boxes on the CPU (measured with 20 VOC classes: 2,200 boxes
# take 12 ms offset and 5 ms grouped; 400 boxes 0.8 ms and 1.9 ms).
GROUP_THRESHOLD = 1000


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor,
                nms_cfg: dict) -> Tuple[Tensor, Tensor]:
    """Drop-in for :func:`mmcv.ops.batched_nms` with the same results.

    mmcv suppresses across classes apart by offsetting each class's boxes
    and running one NMS over all of them, which costs O(n^2) in the total
    number of boxes on the CPU; with an untrained or weakly trained model
    FCOS sends ~1,000 boxes per FPN level. Here large CPU inputs are sorted
    by class once and each class runs its own NMS over a contiguous slice,
    which keeps the same boxes: classes never suppress each other either
    way. Everything else (CUDA, soft-NMS, ``offset``, class-agnostic) goes
    to mmcv.

    Args:
        boxes (Tensor): (N, 4) boxes, x1y1x2y2.
        scores (Tensor): (N, ) scores.
        idxs (Tensor): (N, ) class of each box.
        nms_cfg (dict): mmcv's NMS config, e.g. ``dict(type='nms',
            iou_threshold=0.6)``.

    Returns:
        tuple[Tensor, Tensor]: (K, 5) kept boxes with their scores, sorted
        by descending score, and the (K, ) indices of the kept boxes.
    """
    cfg = dict(nms_cfg)
    grouped = (
        boxes.device.type == 'cpu' and len(boxes) > GROUP_THRESHOLD
        and cfg.pop('type', 'nms') == 'nms'
        and not cfg.pop('class_agnostic', False)
        and cfg.pop('offset', 0) == 0)
    cfg.pop('split_thr', None)
    if not grouped or set(cfg) != {'iou_threshold'}:
        return mmcv_batched_nms(boxes, scores, idxs, nms_cfg)

    order = torch.argsort(idxs, stable=True)
    sorted_boxes, sorted_scores = boxes[order], scores[order]
    keeps = []
    start = 0
    for count in torch.bincount(idxs).tolist():
        if count:
            stop = start + count
            keeps.append(
                tv_nms(sorted_boxes[start:stop], sorted_scores[start:stop],
                       cfg['iou_threshold']) + start)
            start = stop
    keep = order[torch.cat(keeps)]
    kept_scores, by_score = scores[keep].sort(descending=True)
    keep = keep[by_score]
    return torch.cat([boxes[keep], kept_scores[:, None]], -1), keep
