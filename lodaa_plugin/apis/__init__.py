# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .checkpoint import (CheckpointMismatchError, ResumePoint,
                         checkpoint_dataset_meta, find_resume_checkpoint,
                         load_checkpoint_strict)
from .features import extract_features
from .inference import (draw_prediction_file, init_detector_strict,
                        predict_images)
from .publish import publish_checkpoint
from .sliced_detector import SlicedDetector

__all__ = [
    'extract_features', 'CheckpointMismatchError', 'checkpoint_dataset_meta',
    'load_checkpoint_strict', 'find_resume_checkpoint', 'ResumePoint',
    'publish_checkpoint', 'draw_prediction_file', 'init_detector_strict',
    'predict_images', 'SlicedDetector'
]
