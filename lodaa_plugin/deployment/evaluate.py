# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The VOC mAP of an exported model on a dataset, for comparing precisions
at export (needs the training environment: mmdet, the dataset)."""
from typing import Dict, Sequence

from tqdm import tqdm

from .predictor import DeployedDetector


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
    from ..evaluation.analysis import image_result, voc_metric_values
    results = []
    with tqdm(total=len(indices), desc=desc, unit='img') as bar:
        infos = [dataset.get_data_info(i) for i in indices]
        batches = detector.predict_many([i['img_path'] for i in infos],
                                        batch_size)
        for batch in batches:
            for r in batch:
                results.append(
                    image_result(infos[len(results)], r['bboxes'], r['scores'],
                                 r['labels']))
            bar.update(len(batch))
    values = voc_metric_values(results, dataset.metainfo, coco_metrics=False)
    return dict(
        mAP_11points=float(values['mAP_11points']),
        mAP_area=float(values['mAP_area']))
