# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""How well each image is detected: its own AP, for finding the worst."""
from typing import List, Sequence, Tuple

import numpy as np
from mmdet.evaluation.functional import average_precision

from .pr_curve import class_pr
from .predictions import ImageResult


def image_ap(result: ImageResult, iou_thr: float = 0.5) -> float:
    """Mean over the classes present in one image of their AP in it.

    Each class's AP is VOC's area AP (IoU ``iou_thr``, +1 pixel areas,
    ``difficult`` boxes ignored) of that image's detections of the class;
    detections of classes the image does not have lower no class's AP, so
    :func:`rank_images` also reports them as false positives.

    Args:
        result (ImageResult): One image.
        iou_thr (float): Overlap for a true positive. Defaults to 0.5.

    Returns:
        float: The AP, NaN when the image has no box that counts.
    """
    aps = [
        float(
            average_precision(*class_pr([result], int(label), iou_thr),
                              'area')) for label in np.unique(result.gt_labels)
    ]
    return float(np.mean(aps)) if aps else float('nan')


def rank_images(results: Sequence[ImageResult],
                iou_thr: float = 0.5,
                score_thr: float = 0.3) -> List[Tuple[int, float, int]]:
    """Rank images from the best detected to the worst.

    Args:
        results (Sequence[ImageResult]): Per image.
        iou_thr (float): Overlap for a true positive. Defaults to 0.5.
        score_thr (float): Score from which a detection of a class the image
            does not have counts as a false positive. Defaults to 0.3.

    Returns:
        list[tuple[int, float, int]]: ``(index, AP, false positives of
        absent classes)`` for the images that have a box that counts, by AP
        (higher first), then by those false positives (fewer first).
    """
    ranked = []
    for i, result in enumerate(results):
        ap = image_ap(result, iou_thr)
        if np.isnan(ap):
            continue
        absent = ~np.isin(result.labels, result.gt_labels) & \
            ~np.isin(result.labels, result.ignore_labels)
        ranked.append((i, ap, int(
            (absent & (result.scores >= score_thr)).sum())))
    return sorted(ranked, key=lambda r: (-r[1], r[2], r[0]))
