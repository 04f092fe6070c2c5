# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Run a detector on images and get plain arrays back."""
from typing import Dict, List, Sequence

import mmcv
import numpy as np
import torch
from mmdet.apis import inference_detector
from PIL import Image

from ..visualization import draw_detections


def predict_images(model: torch.nn.Module,
                   img_paths: Sequence[str],
                   batch_size: int = 8) -> List[Dict[str, np.ndarray]]:
    """Detect objects in image files with ``model`` (``model.cfg`` set).

    Args:
        model (torch.nn.Module): A detector from ``init_detector`` or a
            runner, with ``cfg`` and ``dataset_meta``.
        img_paths (Sequence[str]): Image files.
        batch_size (int): Images per forward pass. Defaults to 8.

    Returns:
        list[dict]: Per image ``bboxes`` (N, 4) in original pixels,
        ``labels`` (N,) and ``scores`` (N,).
    """
    model.eval()
    out = []
    for start in range(0, len(img_paths), batch_size):
        chunk = list(img_paths[start:start + batch_size])
        with torch.no_grad():
            samples = inference_detector(model, chunk)
        for sample in samples:
            pred = sample.pred_instances
            out.append(
                dict(
                    bboxes=pred.bboxes.cpu().numpy(),
                    labels=pred.labels.cpu().numpy(),
                    scores=pred.scores.cpu().numpy()))
    return out


def draw_prediction_file(img_path: str, prediction: Dict[str, np.ndarray],
                         classes: Sequence[str], score_thr: float,
                         **gt) -> Image.Image:
    """Read an image file and draw ``prediction`` (and ``gt_boxes``,
    ``gt_labels`` if given) on it.

    Args:
        img_path (str): The image.
        prediction (dict): ``bboxes``, ``labels``, ``scores``.
        classes (Sequence[str]): Class names.
        score_thr (float): Lowest score drawn.
        **gt: Optional ``gt_boxes``, ``gt_labels`` and ``scale``.

    Returns:
        PIL.Image.Image: The drawn image.
    """
    rgb = mmcv.imread(img_path, channel_order='rgb')
    return draw_detections(rgb, classes, prediction['bboxes'],
                           prediction['labels'], prediction['scores'],
                           score_thr, **gt)
