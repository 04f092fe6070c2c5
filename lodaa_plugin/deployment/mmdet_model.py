# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""An exported detector in mmdet's clothes, so that ``tools/test.py
--backend`` evaluates it with the config's data and metric.

It reads each test image from its file and runs the whole runtime path
(:class:`~.predictor.DeployedDetector`: its own pre-processing, the network,
its post-processing); the batch the data pipeline prepared is not used.
"""
from typing import List, Optional

import numpy as np
import torch
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample

from ..apis.sliced_detector import attach_predictions
from .predictor import DeployedDetector


@MODELS.register_module()
class DeployedDetectorModel(BaseDetector):
    """Predict with an export folder on ONNX Runtime or OpenVINO.

    Args:
        export_dir (str): The folder ``tools/deployment/export.py`` wrote.
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        precision (str): ``'fp32'``, or OpenVINO's ``'default'`` or
            ``'int8'``.
        graph (str): ``'end2end'`` or ``'network'``. Defaults to
            ``'end2end'``.
        data_preprocessor (dict, optional): The config's, unused by the
            prediction.
    """

    def __init__(self,
                 export_dir: str,
                 backend: str = 'onnxruntime',
                 precision: str = 'fp32',
                 graph: str = 'end2end',
                 data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.deployed = DeployedDetector(export_dir, backend, precision, graph)
        # the export's test-time rules, as a detector's test_cfg (read by
        # SlicedDetector's merge)
        self.test_cfg = dict(self.deployed.cfg['test_cfg'])

    def predict_arrays(self, images: List[np.ndarray]) -> List[dict]:
        """Detect objects in BGR uint8 arrays (tiles of sliced inference).

        Args:
            images (list[np.ndarray]): The arrays.

        Returns:
            list[dict]: Per image ``bboxes``, ``scores``, ``labels``.
        """
        return self.deployed(images)

    def predict(self,
                batch_inputs: torch.Tensor,
                batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """Detect objects in the samples' image files.

        Args:
            batch_inputs (Tensor): Unused.
            batch_data_samples (list[DetDataSample]): With ``img_path``.
            rescale (bool): Must be True: the runtime returns boxes in
                original-image pixels.

        Returns:
            list[DetDataSample]: With ``pred_instances``.
        """
        if not rescale:
            raise ValueError('the deployed runtime predicts in original-image '
                             'pixels only (rescale=True)')
        return attach_predictions(
            batch_data_samples,
            self.deployed([s.img_path for s in batch_data_samples]))

    def loss(self, *args, **kwargs):
        """An exported network does not train."""
        raise RuntimeError('a deployed model cannot be trained')

    def _forward(self, *args, **kwargs):
        raise RuntimeError('a deployed model returns detections only')

    def extract_feat(self, *args, **kwargs):
        raise RuntimeError('a deployed model returns detections only')
