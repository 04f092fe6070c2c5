# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A detector's precision-recall curve, averaged over classes."""
from typing import Sequence, Tuple

import numpy as np
from mmdet.evaluation.functional.mean_ap import tpfp_default

from .predictions import ImageResult


def class_pr(results: Sequence[ImageResult],
             label: int,
             iou_thr: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Precision and recall of one class over the whole set, as the VOC
    metric computes them (+1 pixel areas, ``difficult`` boxes ignored).

    Args:
        results (Sequence[ImageResult]): Per image.
        label (int): The class.
        iou_thr (float): Overlap for a true positive. Defaults to 0.5.

    Returns:
        tuple[np.ndarray, np.ndarray]: Recall and precision after each
        detection, highest score first; empty when the class has no box.
    """
    scores, hits, misses, positives = [], [], [], 0
    for result in results:
        mine = result.labels == label
        gts = result.gt_bboxes[result.gt_labels == label]
        positives += len(gts)
        if not mine.any():
            continue
        dets = np.hstack([result.bboxes[mine], result.scores[mine, None]])
        tp, fp = tpfp_default(
            dets,
            gts,
            result.ignore_bboxes[result.ignore_labels == label],
            iou_thr=iou_thr,
            use_legacy_coordinate=True)
        scores.append(result.scores[mine])
        hits.append(tp[0])
        misses.append(fp[0])
    if not positives:
        return np.zeros(0), np.zeros(0)
    if not scores:
        return np.zeros(1), np.zeros(1)
    order = np.argsort(-np.concatenate(scores), kind='stable')
    tp = np.cumsum(np.concatenate(hits)[order])
    fp = np.cumsum(np.concatenate(misses)[order])
    return tp / positives, tp / np.maximum(tp + fp, np.finfo(float).eps)


def mean_pr_curve(results: Sequence[ImageResult],
                  num_classes: int,
                  iou_thr: float = 0.5,
                  points: int = 101) -> Tuple[np.ndarray, np.ndarray]:
    """Interpolated precision (the best at this recall or more) at evenly
    spaced recalls, averaged over the classes that have boxes, as COCO's
    precision-recall plots show it.

    Args:
        results (Sequence[ImageResult]): Per image.
        num_classes (int): Number of classes.
        iou_thr (float): Overlap for a true positive. Defaults to 0.5.
        points (int): Recall levels from 0 to 1. Defaults to 101.

    Returns:
        tuple[np.ndarray, np.ndarray]: Recall levels and mean precision;
        the area under it is close to the area mAP.
    """
    levels = np.linspace(0, 1, points)
    curves = []
    for label in range(num_classes):
        recall, precision = class_pr(results, label, iou_thr)
        if not len(recall):
            continue
        envelope = np.maximum.accumulate(precision[::-1])[::-1]
        index = np.searchsorted(recall, levels, side='left')
        curves.append(
            np.where(index < len(envelope),
                     envelope[np.minimum(index,
                                         len(envelope) - 1)], 0.))
    return levels, np.mean(curves, axis=0) if curves else np.zeros(points)
