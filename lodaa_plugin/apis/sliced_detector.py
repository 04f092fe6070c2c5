# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A detector that detects tile by tile (:mod:`lodaa_plugin.slicing`), so
that ``tools/test.py --slice`` scores sliced inference with the config's
data and metric, as it scores any other model.

Like mmdet's TTA models it wraps the detector of the config; it reads each
test image from its file (the batch the data pipeline resized is not used)
and sends the tiles through the test pipeline
(:func:`~lodaa_plugin.apis.predict_images`), or, for an export
(``DeployedDetectorModel``), through the deployed runtime.
"""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import Compose
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from ..slicing import merge_settings, sliced_predict
from .inference import predict_images


def attach_predictions(samples: List[DetDataSample],
                       results: Sequence[dict]) -> List[DetDataSample]:
    """Set each sample's ``pred_instances`` from numpy detections.

    Args:
        samples (list[DetDataSample]): The batch's samples.
        results (Sequence[dict]): Per sample ``bboxes``, ``scores``,
            ``labels`` (numpy).

    Returns:
        list[DetDataSample]: ``samples``.
    """
    for sample, result in zip(samples, results):
        sample.pred_instances = InstanceData(
            bboxes=torch.from_numpy(result['bboxes']),
            scores=torch.from_numpy(result['scores']),
            labels=torch.from_numpy(result['labels']))
    return samples


@MODELS.register_module()
class SlicedDetector(BaseDetector):
    """Detect in overlapping tiles of each image, boxes merged across tiles
    by the class-aware NMS of the detector's ``test_cfg`` (its IoU
    threshold and ``max_per_img``).

    Args:
        detector (dict): The detector's config (a PyTorch detector, or
            ``DeployedDetectorModel``).
        slice_size (int): Tile side in pixels.
        test_pipeline (list[dict]): The test pipeline: its first step reads
            the image, the rest prepares each tile.
        overlap (float): Overlap ratio of neighbouring tiles. Defaults to
            0.2.
        whole_image (bool): Also detect on the whole image. Defaults to
            False.
        merge (str): ``'nms'`` or ``'nmm'``
            (:func:`~lodaa_plugin.slicing.merge_detections`). Defaults to
            ``'nms'``.
        merge_metric (str): ``'iou'`` or ``'ios'``. Defaults to ``'iou'``.
        batch_size (int): Tiles per forward pass. Defaults to 8.
        data_preprocessor (dict, optional): The config's; the tiles go
            through the detector's own.
    """

    def __init__(self,
                 detector: dict,
                 slice_size: int,
                 test_pipeline: Sequence[dict],
                 overlap: float = 0.2,
                 whole_image: bool = False,
                 merge: str = 'nms',
                 merge_metric: str = 'iou',
                 batch_size: int = 8,
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.detector = MODELS.build(detector)
        self.slice_size = slice_size
        self.overlap = overlap
        self.whole_image = whole_image
        self.merge, self.merge_metric = merge, merge_metric
        self.batch_size = batch_size
        steps = list(test_pipeline)
        self.load = Compose(steps[:1])
        # predict_images reads the pipeline from the model's cfg
        self.detector.cfg = Config(
            dict(test_dataloader=dict(dataset=dict(pipeline=steps))))

    def _predict_arrays(self, images: List[np.ndarray]) -> List[dict]:
        arrays = getattr(self.detector, 'predict_arrays', None)
        if arrays is not None:  # an export's runtime
            return arrays(images)
        return predict_images(self.detector, images, len(images))

    def predict(self,
                batch_inputs: torch.Tensor,
                batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """Detect objects in the samples' image files, tile by tile.

        Args:
            batch_inputs (Tensor): Unused.
            batch_data_samples (list[DetDataSample]): With ``img_path``.
            rescale (bool): Must be True: boxes are in original pixels.

        Returns:
            list[DetDataSample]: With ``pred_instances``.
        """
        if not rescale:
            raise ValueError('sliced inference predicts in original-image '
                             'pixels only (rescale=True)')
        images = [
            self.load(dict(img_path=s.img_path))['img']
            for s in batch_data_samples
        ]
        iou, max_per_img = merge_settings(self.detector.test_cfg)
        results = sliced_predict(
            self._predict_arrays,
            images,
            self.slice_size,
            self.overlap,
            iou,
            max_per_img,
            whole_image=self.whole_image,
            metric=self.merge_metric,
            merge=self.merge,
            batch_size=self.batch_size)
        return attach_predictions(batch_data_samples, results)

    def loss(self, *args, **kwargs):
        """Sliced inference is a test-time wrapper."""
        raise RuntimeError('SlicedDetector is for testing; train the '
                           'detector itself (on tiles)')

    def _forward(self, *args, **kwargs):
        raise RuntimeError('SlicedDetector returns detections only')

    def extract_feat(self, *args, **kwargs):
        raise RuntimeError('SlicedDetector returns detections only')
