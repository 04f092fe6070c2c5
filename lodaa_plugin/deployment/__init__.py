# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Run an exported LODAA detector with ONNX Runtime or OpenVINO.

The runtime side (:class:`DeployedDetector`, its pre- and post-processing)
needs numpy, OpenCV and the backend only: no torch, mmcv or mmdet. The export
side (:mod:`.export`, :mod:`.end_to_end`, :mod:`.quantize`,
:mod:`.evaluate`) needs the full training environment.
"""
from .deploy_config import DEPLOY_FILE, DeployConfigError, load_deploy_config
from .predictor import BACKENDS, DeployedDetector

__all__ = [
    'BACKENDS', 'DEPLOY_FILE', 'DeployConfigError', 'DeployedDetector',
    'load_deploy_config'
]
