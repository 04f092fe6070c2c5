# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Saved detections paired with the dataset's annotations, per image."""
from typing import Any, List, NamedTuple, Tuple

import numpy as np

from .safe_pickle import load_detections_pickle


class ImageResult(NamedTuple):
    """One image's annotation and detections, in original-image pixels.

    ``gt_*`` are the boxes that count, ``ignore_*`` the ``difficult`` ones
    (neither found nor missed, as in the VOC metric).
    """
    img_path: str
    gt_bboxes: np.ndarray
    gt_labels: np.ndarray
    ignore_bboxes: np.ndarray
    ignore_labels: np.ndarray
    bboxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray


def _array(value: Any, shape: tuple, dtype) -> np.ndarray:
    if hasattr(value, 'numpy'):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype).reshape(shape)


def load_predictions(pkl_path: str, dataset) -> List[ImageResult]:
    """Read ``tools/test.py --out`` detections and pair each image with its
    annotation in ``dataset``.

    Args:
        pkl_path (str): The ``.pkl`` written by ``tools/test.py --out``.
        dataset (BaseDetDataset): The test set the detections were made on.

    Returns:
        list[ImageResult]: In the order of the file.

    Raises:
        ValueError: When the file is not a pickle of detections, names a
            function that could run code (see :mod:`.safe_pickle`), holds no
            detections, names an image the dataset does not have, or has
            labels past the dataset's classes (another model's).
    """
    saved = load_detections_pickle(pkl_path)
    if not isinstance(saved, list) or not saved or not all(
            isinstance(s, dict) and 'pred_instances' in s for s in saved):
        raise ValueError(
            f'{pkl_path}: not a file of detections; write one with '
            'tools/test.py CONFIG CHECKPOINT --out FILE.pkl')
    infos = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        infos[info['img_path']] = info
    results = []
    for sample in saved:
        info = infos.get(sample.get('img_path'))
        if info is None:
            raise ValueError(
                f'{pkl_path}: image {sample.get("img_path")!r} is not in the '
                f'dataset ({len(infos)} images); were the detections made '
                'with another config or --cfg-options?')
        pred = sample['pred_instances']
        results.append(
            image_result(info, pred['bboxes'], pred['scores'], pred['labels']))
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    if classes is not None:
        _check_labels(pkl_path, results, len(classes))
    return results


def _check_labels(pkl_path: str, results: List[ImageResult],
                  num_classes: int) -> None:
    """Refuse detections of a model with another class count than the
    dataset: their labels would be counted as other classes, or index past
    the tables."""
    labels = [r.labels for r in results if len(r.labels)]
    if not labels:
        return
    low = min(int(np.min(lab)) for lab in labels)
    high = max(int(np.max(lab)) for lab in labels)
    if low < 0 or high >= num_classes:
        raise ValueError(
            f'{pkl_path}: the detections have labels {low}..{high} (a model '
            f'of at least {high + 1} classes), the dataset has {num_classes} '
            'classes; were they made with another config or model?')


def image_result(info: dict, bboxes: Any, scores: Any,
                 labels: Any) -> ImageResult:
    """Pair one image's detections with its annotation.

    Args:
        info (dict): The dataset's data info of the image (``img_path``,
            ``instances``).
        bboxes (array-like): (N, 4) detected boxes, original pixels.
        scores (array-like): (N,) their scores.
        labels (array-like): (N,) their classes.

    Returns:
        ImageResult: The pair.
    """
    boxes = [i['bbox'] for i in info['instances']]
    ignored = np.array(
        [bool(i.get('ignore_flag', 0)) for i in info['instances']], dtype=bool)
    gt_boxes = _array(boxes, (-1, 4), np.float32)
    gt_labels = _array([i['bbox_label'] for i in info['instances']], (-1, ),
                       np.int64)
    return ImageResult(
        img_path=info['img_path'],
        gt_bboxes=gt_boxes[~ignored],
        gt_labels=gt_labels[~ignored],
        ignore_bboxes=gt_boxes[ignored],
        ignore_labels=gt_labels[ignored],
        bboxes=_array(bboxes, (-1, 4), np.float32),
        scores=_array(scores, (-1, ), np.float32),
        labels=_array(labels, (-1, ), np.int64))


def voc_metric_values(results: List[ImageResult],
                      dataset_meta: dict,
                      coco_metrics: bool = True) -> dict:
    """Score paired detections with :class:`LodaaVOCMetric` (VOC07 11-point
    and area mAP@0.5, and COCO-style AP unless turned off), with the
    metric's default intervals (``mAP_low`` / ``mAP_high``).

    Args:
        results (list[ImageResult]): Images with their detections.
        dataset_meta (dict): The dataset's meta (``classes``).
        coco_metrics (bool): Also COCO-style AP. Defaults to True.

    Returns:
        dict: The metric's values (``mAP`` is VOC07 11-point).
    """
    return dict(score_results(results, dataset_meta, coco_metrics)[0])


def score_results(results: List[ImageResult],
                  dataset_meta: dict,
                  coco_metrics: bool = True,
                  **metric_args) -> Tuple[dict, Any]:
    """Score paired detections with :class:`LodaaVOCMetric`; keep the
    metric (its ``sources`` for paired comparisons, ``intervals``,
    ``per_class``).

    Args:
        results (list[ImageResult]): Images with their detections.
        dataset_meta (dict): The dataset's meta (``classes``).
        coco_metrics (bool): Also COCO-style AP. Defaults to True.
        **metric_args: More of the metric's arguments (``interval``).

    Returns:
        tuple: The values (``mAP`` is VOC07 11-point) and the metric.
    """
    from mmengine.logging import MMLogger

    from ..metrics import LodaaVOCMetric
    if not MMLogger.check_instance_created('lodaa_analysis'):
        # the metric logs its per-class table to the newest logger
        MMLogger.get_instance('lodaa_analysis', log_level='WARNING')
    pairs = []
    for r in results:
        ann = dict(
            labels=r.gt_labels,
            bboxes=r.gt_bboxes,
            bboxes_ignore=r.ignore_bboxes,
            labels_ignore=r.ignore_labels)
        dets = [
            np.hstack([r.bboxes[r.labels == c], r.scores[r.labels == c, None]])
            for c in range(len(dataset_meta['classes']))
        ]
        pairs.append((ann, dets))
    metric = LodaaVOCMetric(
        eval_mode='11points', coco_metrics=coco_metrics, **metric_args)
    metric.dataset_meta = dataset_meta
    return metric.compute_metrics(pairs), metric
