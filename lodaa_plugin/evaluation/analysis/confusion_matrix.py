# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A detector's confusion matrix, with a background row and column."""
from typing import Sequence

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

from .predictions import ImageResult


def box_confusion_matrix(results: Sequence[ImageResult],
                         num_classes: int,
                         iou_thr: float = 0.5,
                         score_thr: float = 0.3) -> np.ndarray:
    """Count which class each true box was detected as.

    Detections at or above ``score_thr``, highest score first, are matched
    to true boxes with IoU >= ``iou_thr`` (VOC's +1 pixel areas) in two
    passes. First as the VOC metric matches them: each to the box of its own
    class it overlaps most, ``difficult`` ones included; a match to a box
    not yet taken is a true positive (the diagonal therefore equals the
    metric's true positives at this score), one to a ``difficult`` box is
    left out of the count. Then each detection still unmatched takes the
    free box of another class it overlaps most (a confusion). What is left
    is a false positive on the background, unless it overlaps a
    ``difficult`` box, which the metric ignores too.

    mmdet's ``confusion_matrix.py`` instead counts a detection once for
    every box it overlaps, so its rows can sum to more than the boxes.

    Args:
        results (Sequence[ImageResult]): Per image.
        num_classes (int): Number of classes.
        iou_thr (float): Overlap for a match. Defaults to 0.5.
        score_thr (float): Detections below are left out. Defaults to 0.3.

    Returns:
        np.ndarray: ``(num_classes + 1, num_classes + 1)`` counts; rows are
        the true class, columns the detected class, the last row and column
        the background: ``[c, -1]`` are class ``c`` boxes not found, ``[-1,
        c]`` detections of ``c`` where there is nothing. Each row ``c`` sums
        to the class's boxes that are not ``difficult``.
    """
    matrix = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)
    for result in results:
        keep = result.scores >= score_thr
        order = np.argsort(-result.scores[keep], kind='stable')
        boxes = result.bboxes[keep][order]
        labels = result.labels[keep][order]
        gt_labels = np.concatenate([result.gt_labels, result.ignore_labels])
        difficult = np.arange(len(gt_labels)) >= len(result.gt_labels)
        ious = bbox_overlaps(
            boxes,
            np.vstack([result.gt_bboxes, result.ignore_bboxes]),
            use_legacy_coordinate=True).reshape(len(boxes), len(gt_labels))
        taken = difficult.copy()  # difficult boxes are never a match
        settled = np.zeros(len(boxes), dtype=bool)
        for d in range(len(boxes)):  # as the VOC metric
            own = np.where(gt_labels == labels[d], ious[d], -1)
            if not len(own) or own.max() < iou_thr:
                continue
            g = int(np.argmax(own))
            if difficult[g]:
                settled[d] = True  # ignored, as in the metric
            elif not taken[g]:
                taken[g] = settled[d] = True
                matrix[gt_labels[g], labels[d]] += 1
        for d in np.flatnonzero(~settled):  # confusions
            free = np.where(~taken & (gt_labels != labels[d]), ious[d], -1)
            if len(free) and free.max() >= iou_thr:
                g = int(np.argmax(free))
                taken[g] = settled[d] = True
                matrix[gt_labels[g], labels[d]] += 1
        np.add.at(matrix[:, -1], gt_labels[~taken], 1)
        for d in np.flatnonzero(~settled):
            if not (ious[d, difficult] >= iou_thr).any():
                matrix[-1, labels[d]] += 1
    return matrix
