# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Run a detector on images and get plain arrays back."""
from typing import Dict, List, Sequence, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import Compose
from mmdet.apis import init_detector
from mmdet.utils import get_test_pipeline_cfg
from PIL import Image

from ..visualization import draw_detections
from .checkpoint import checkpoint_dataset_meta, load_checkpoint_strict


def init_detector_strict(config: str,
                         checkpoint: str,
                         device: str = 'cpu') -> torch.nn.Module:
    """Build a detector from a config and load every weight of it.

    mmdet's ``init_detector`` with :func:`load_checkpoint_strict`: a
    checkpoint that does not fit the config is an error, not random layers.

    Args:
        config (str): The config file.
        checkpoint (str): The checkpoint file.
        device (str): Where the model runs. Defaults to ``'cpu'``.

    Returns:
        torch.nn.Module: The detector in eval mode, with ``cfg`` and
        ``dataset_meta`` (from the checkpoint, else the config's dataset).
    """
    import warnings

    # without a checkpoint mmdet warns that it names COCO classes and has no
    # palette (after its own simplefilter, so an 'ignore' filter would not
    # hold); the classes are replaced below, and any other warning is passed
    # on
    with warnings.catch_warnings(record=True) as caught:
        model = init_detector(config, None, device='cpu')
    for warning in caught:
        # LODAA draws with its own palette (visualization.detections)
        if not str(warning.message).startswith(
            ('checkpoint is None, use COCO classes',
             'palette does not exist')):
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    loaded = load_checkpoint_strict(model, checkpoint, config)
    meta = checkpoint_dataset_meta(loaded)
    if meta:
        model.dataset_meta = meta
    else:
        dataset = model.cfg.get('test_dataloader', {}).get('dataset', {})
        classes = dataset.get('metainfo', {}).get('classes')
        if classes is None:
            raise ValueError(
                f'{checkpoint} names no classes (no meta.dataset_meta) and '
                f'neither does {config} (test_dataloader.dataset.metainfo)')
        model.dataset_meta = dict(classes=tuple(classes))
    return model.to(device).eval()


def predict_images(model: torch.nn.Module,
                   images: Sequence[Union[str, np.ndarray]],
                   batch_size: int = 8) -> List[Dict[str, np.ndarray]]:
    """Detect objects in images with ``model`` (``model.cfg`` set).

    Args:
        model (torch.nn.Module): A detector from ``init_detector`` or a
            runner, with ``cfg`` and ``dataset_meta``.
        images (Sequence[str | np.ndarray]): Image files, or BGR uint8
            arrays (video frames), which go through the same test pipeline
            with mmdet's ``LoadImageFromNDArray`` as its first step.
        batch_size (int): Images per forward pass. Defaults to 8.

    Returns:
        list[dict]: Per image ``bboxes`` (N, 4) in original pixels,
        ``labels`` (N,) and ``scores`` (N,).
    """
    model.eval()
    # mmdet's inference_detector rebuilds the pipeline on every call and
    # runs one image per forward pass; here a chunk is one batch
    steps = get_test_pipeline_cfg(model.cfg)
    from_file = Compose(steps)
    from_array = Compose([dict(type='mmdet.LoadImageFromNDArray')] +
                         list(steps)[1:])
    out = []
    for start in range(0, len(images), batch_size):
        chunk = list(images[start:start + batch_size])
        packed = [
            from_array(dict(img=image, img_id=start +
                            i)) if isinstance(image, np.ndarray) else
            from_file(dict(img_path=image, img_id=start + i))
            for i, image in enumerate(chunk)
        ]
        batch = dict(
            inputs=[p['inputs'] for p in packed],
            data_samples=[p['data_samples'] for p in packed])
        with torch.no_grad():
            samples = model.test_step(batch)
        for sample in samples:
            pred = sample.pred_instances
            # float(): under bf16 autocast the outputs are bf16
            out.append(
                dict(
                    bboxes=pred.bboxes.float().cpu().numpy(),
                    labels=pred.labels.cpu().numpy(),
                    scores=pred.scores.float().cpu().numpy()))
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
        **gt: Optional ``gt_boxes``, ``gt_labels``, ``scale`` and the
            label settings of
            :func:`~lodaa_plugin.visualization.draw_detections`
            (``show_labels``, ``show_scores``, ``font_scale``).

    Returns:
        PIL.Image.Image: The drawn image.
    """
    rgb = mmcv.imread(img_path, channel_order='rgb')
    return draw_detections(rgb, classes, prediction['bboxes'],
                           prediction['labels'], prediction['scores'],
                           score_thr, **gt)
