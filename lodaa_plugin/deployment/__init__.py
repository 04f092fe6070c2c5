# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Run an exported LODAA detector with ONNX Runtime or OpenVINO.

The runtime of the end-to-end graph (:class:`DeployedDetector`, its
pre-processing) needs numpy, OpenCV and the backend only: no torch, mmcv or
mmdet. The network-only graph's post-processing (the head's own PyTorch
function) and the export side (:mod:`.export`, :mod:`.end_to_end`,
:mod:`.quantize`, :mod:`.evaluate`) need the full training environment.
"""
from .deploy_config import DEPLOY_FILE, DeployConfigError, load_deploy_config
from .predictor import BACKENDS, DeployedDetector

__all__ = [
    'BACKENDS', 'DEPLOY_FILE', 'DeployConfigError', 'DeployedDetector',
    'load_deploy_config'
]
