# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""An independent VOC detection AP, written from the VOC devkit's
definition (VOCevaldet.m / VOCap.m), for cross-checking LODAA's metric.

Boxes are inclusive pixel boxes: width = x2 - x1 + 1. A detection matches the
ground truth it overlaps most if IoU >= 0.5; matching a difficult box makes it
neither TP nor FP; a second match of a box is a FP.
"""
from typing import Dict, List

import numpy as np


def _iou(box: np.ndarray, gts: np.ndarray) -> np.ndarray:
    iw = np.minimum(box[2], gts[:, 2]) - np.maximum(box[0], gts[:, 0]) + 1
    ih = np.minimum(box[3], gts[:, 3]) - np.maximum(box[1], gts[:, 1]) + 1
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area = (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
    areas = (gts[:, 2] - gts[:, 0] + 1) * (gts[:, 3] - gts[:, 1] + 1)
    return inter / (area + areas - inter)


def class_ap(images: List[Dict], label: int, mode: str) -> float:
    """Compute the AP of one class over images.

    Args:
        images (list[dict]): Per image ``gt_boxes``, ``gt_labels``,
            ``gt_difficult`` and ``det_boxes``, ``det_labels``,
            ``det_scores``.
        label (int): The class.
        mode (str): ``'11points'`` or ``'area'``.

    Returns:
        float: The AP, or nan when the class has no non-difficult object.
    """
    gts, used, npos = [], [], 0
    dets = []
    for index, img in enumerate(images):
        mask = img['gt_labels'] == label
        gts.append((img['gt_boxes'][mask], img['gt_difficult'][mask]))
        used.append(np.zeros(mask.sum(), bool))
        npos += int((~img['gt_difficult'][mask]).sum())
        for box, score in zip(img['det_boxes'][img['det_labels'] == label],
                              img['det_scores'][img['det_labels'] == label]):
            dets.append((score, index, box))
    if npos == 0:
        return float('nan')
    dets.sort(key=lambda d: -d[0])
    tp, fp = [], []
    for _, index, box in dets:
        boxes, difficult = gts[index]
        if len(boxes):
            ious = _iou(box, boxes)
            best = int(np.argmax(ious))
            if ious[best] >= 0.5:
                if difficult[best]:
                    continue
                if not used[index][best]:
                    used[index][best] = True
                    tp.append(1), fp.append(0)
                else:
                    tp.append(0), fp.append(1)
                continue
        tp.append(0), fp.append(1)
    tp, fp = np.cumsum(tp), np.cumsum(fp)
    rec = tp / npos
    prec = tp / np.maximum(tp + fp, np.finfo(float).eps)
    if mode == '11points':
        return float(
            np.mean([
                prec[rec >= t].max() if (rec >= t).any() else 0.
                for t in np.linspace(0, 1, 11)
            ]))
    mrec = np.concatenate([[0.], rec, [1.]])
    mpre = np.concatenate([[0.], prec, [0.]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    changed = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(
        np.sum((mrec[changed + 1] - mrec[changed]) * mpre[changed + 1]))


def mean_ap(images: List[Dict], num_classes: int, mode: str) -> float:
    """Average the AP over the classes with non-difficult objects."""
    aps = [class_ap(images, c, mode) for c in range(num_classes)]
    return float(np.nanmean(aps))
