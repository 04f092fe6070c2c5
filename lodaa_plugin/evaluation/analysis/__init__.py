# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Offline analysis of saved detections (``tools/test.py --out``)."""
from .confusion_matrix import box_confusion_matrix
from .per_image import image_ap, rank_images
from .pr_curve import class_pr, mean_pr_curve
from .predictions import (ImageResult, image_result, load_predictions,
                          score_results, voc_metric_values)

__all__ = [
    'ImageResult', 'box_confusion_matrix', 'class_pr', 'mean_pr_curve',
    'image_ap', 'image_result', 'load_predictions', 'rank_images',
    'score_results', 'voc_metric_values'
]
