# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The VOC mAP of an exported model on a dataset, for comparing precisions
at export (needs the training environment: mmdet, the dataset)."""
from typing import Dict, List, Sequence

import numpy as np
from tqdm import tqdm

from .predictor import DeployedDetector


def ground_truth(dataset, indices: Sequence[int]) -> List[Dict]:
    """The annotations of some images as mmdet's ``eval_map`` takes them.

    Args:
        dataset (BaseDetDataset): A detection dataset.
        indices (Sequence[int]): Image indices.

    Returns:
        list[dict]: ``bboxes``, ``labels``, ``bboxes_ignore``,
        ``labels_ignore`` per image.
    """
    annotations = []
    for index in indices:
        instances = dataset.get_data_info(index)['instances']
        boxes = np.asarray([i['bbox'] for i in instances],
                           np.float32).reshape(-1, 4)
        labels = np.asarray([i['bbox_label'] for i in instances], np.int64)
        ignore = np.asarray([i.get('ignore_flag', 0) for i in instances], bool)
        annotations.append(
            dict(
                bboxes=boxes[~ignore],
                labels=labels[~ignore],
                bboxes_ignore=boxes[ignore],
                labels_ignore=labels[ignore]))
    return annotations


def export_map(detector: DeployedDetector,
               dataset,
               indices: Sequence[int],
               batch_size: int = 8,
               desc: str = 'evaluating') -> Dict[str, float]:
    """VOC mAP@0.5 (11-point and area) of an exported model.

    Args:
        detector (DeployedDetector): The export on one backend and
            precision.
        dataset (BaseDetDataset): The test set.
        indices (Sequence[int]): The images to score.
        batch_size (int): Images per batch. Defaults to 8.
        desc (str): Progress bar label. Defaults to ``'evaluating'``.

    Returns:
        dict[str, float]: ``mAP_11points`` and ``mAP_area``.
    """
    from mmengine.logging import MMLogger

    from ..evaluation.metrics import LodaaVOCMetric
    if not MMLogger.check_instance_created('lodaa_export'):
        # the metric logs its per-class table to the newest logger
        MMLogger.get_instance('lodaa_export', log_level='WARNING')
    paths = [dataset.get_data_info(i)['img_path'] for i in indices]
    results = []
    with tqdm(total=len(paths), desc=desc, unit='img') as bar:
        for batch in detector.predict_many(paths, batch_size):
            results += batch
            bar.update(len(batch))
    classes = list(dataset.metainfo['classes'])
    pairs = []
    for ann, r in zip(ground_truth(dataset, indices), results):
        dets = [
            np.hstack([
                r['bboxes'][r['labels'] == c], r['scores'][r['labels'] == c,
                                                           None]
            ]) for c in range(len(classes))
        ]
        pairs.append((ann, dets))
    metric = LodaaVOCMetric(eval_mode='11points', coco_metrics=False)
    metric.dataset_meta = dataset.metainfo
    values = metric.compute_metrics(pairs)
    return dict(
        mAP_11points=float(values['mAP_11points']),
        mAP_area=float(values['mAP_area']))
