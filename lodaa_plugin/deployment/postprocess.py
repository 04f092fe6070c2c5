# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's FCOS post-processing in numpy: the steps of the PyTorch head's
``_predict_by_feat_single`` and ``_bbox_post_process`` (per level the
``nms_pre`` best (location, class) pairs above ``score_thr``, decoding,
rescaling, score fusion, class-aware NMS), without torch or mmcv."""
from typing import Dict, List, Sequence, Tuple

import numpy as np


def level_points(sizes: Sequence[Tuple[int, int]],
                 strides: Sequence[int]) -> List[np.ndarray]:
    """Location centres per level, row-major: mmdet's ``MlvlPointGenerator``
    with offset 0.5.

    Args:
        sizes (Sequence[tuple[int, int]]): (h, w) per level.
        strides (Sequence[int]): Level strides.

    Returns:
        list[np.ndarray]: (h * w, 2) x, y per level.
    """
    points = []
    for (h, w), stride in zip(sizes, strides):
        xs = (np.arange(w, dtype=np.float32) + 0.5) * stride
        ys = (np.arange(h, dtype=np.float32) + 0.5) * stride
        xx, yy = np.meshgrid(xs, ys)
        points.append(np.stack([xx.ravel(), yy.ravel()], axis=1))
    return points


def nms(boxes: np.ndarray,
        scores: np.ndarray,
        iou_thr: float,
        max_keep: int = -1) -> np.ndarray:
    """Greedy NMS (continuous coordinates, as torchvision's), highest
    score first.

    Args:
        boxes (np.ndarray): (N, 4) x1, y1, x2, y2.
        scores (np.ndarray): (N,).
        iou_thr (float): Boxes overlapping a kept one by more are dropped.
        max_keep (int): Stop after this many boxes (-1: all). The greedy
            order makes them the first ``max_keep`` of a full NMS.

    Returns:
        np.ndarray: Indices kept, by decreasing score.
    """
    order = np.argsort(-scores, kind='stable')
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size and len(keep) != max_keep:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-12)
        order = rest[iou <= iou_thr]
    return np.asarray(keep, dtype=np.int64)


def batched_nms(boxes: np.ndarray,
                scores: np.ndarray,
                labels: np.ndarray,
                iou_thr: float,
                max_keep: int = -1) -> np.ndarray:
    """Class-aware NMS: boxes of different classes never suppress each
    other (offset per class, as torchvision's ``batched_nms``).

    Args:
        boxes (np.ndarray): (N, 4).
        scores (np.ndarray): (N,).
        labels (np.ndarray): (N,).
        iou_thr (float): IoU threshold.
        max_keep (int): Stop after this many boxes (-1: all).

    Returns:
        np.ndarray: Indices kept, by decreasing score.
    """
    if not len(boxes):
        return np.zeros(0, dtype=np.int64)
    offsets = labels.astype(boxes.dtype) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_thr, max_keep)


def detections(cls_scores: np.ndarray, centerness: np.ndarray,
               distances: np.ndarray, points: np.ndarray,
               level_lengths: Sequence[int], meta: Dict,
               cfg: Dict) -> Dict[str, np.ndarray]:
    """One image's detections from the network's outputs.

    Args:
        cls_scores (np.ndarray): (A, C) class probabilities, all levels.
        centerness (np.ndarray): (A,) centerness probabilities.
        distances (np.ndarray): (A, 4) left, top, right, bottom in pixels.
        points (np.ndarray): (A, 2) location centres.
        level_lengths (Sequence[int]): Locations per level.
        meta (dict): ``img_shape`` (h, w) and ``scale_factor`` (w, h).
        cfg (dict): ``deploy.json``'s ``test_cfg`` and ``score_fusion``.

    Returns:
        dict: ``bboxes`` (N, 4) in original-image pixels, ``scores``,
        ``labels``, at most ``max_per_img``, by decreasing score.
    """
    test_cfg = cfg['test_cfg']
    kept = dict(loc=[], labels=[], scores=[])
    start = 0
    for length in level_lengths:
        scores = cls_scores[start:start + length]
        locations, labels = np.nonzero(scores > test_cfg['score_thr'])
        values = scores[locations, labels]
        num = len(values) if test_cfg['nms_pre'] <= 0 else min(
            test_cfg['nms_pre'], len(values))
        best = np.argsort(-values, kind='stable')[:num]
        kept['loc'].append(locations[best] + start)
        kept['labels'].append(labels[best])
        kept['scores'].append(values[best])
        start += length
    loc = np.concatenate(kept['loc'])
    labels = np.concatenate(kept['labels'])
    scores = np.concatenate(kept['scores'])
    xy, dist = points[loc], distances[loc]
    h, w = meta['img_shape']
    boxes = np.stack([
        np.clip(xy[:, 0] - dist[:, 0], 0, w),
        np.clip(xy[:, 1] - dist[:, 1], 0, h),
        np.clip(xy[:, 0] + dist[:, 2], 0, w),
        np.clip(xy[:, 1] + dist[:, 3], 0, h)
    ],
                     axis=1)
    factor = np.asarray(meta['scale_factor'], np.float32)
    boxes = boxes / np.tile(factor, 2)
    fused = scores * centerness[loc]
    scores = np.sqrt(fused) if cfg['score_fusion'] == 'sqrt' else fused
    if test_cfg['min_bbox_size'] >= 0:
        size = test_cfg['min_bbox_size']
        valid = (boxes[:, 2] - boxes[:, 0] > size) & (
            boxes[:, 3] - boxes[:, 1] > size)
        boxes, scores, labels = boxes[valid], scores[valid], labels[valid]
    keep = batched_nms(boxes, scores, labels, test_cfg['nms_iou'],
                       test_cfg['max_per_img'])
    return dict(
        bboxes=boxes[keep].astype(np.float32),
        scores=scores[keep].astype(np.float32),
        labels=labels[keep].astype(np.int64))
