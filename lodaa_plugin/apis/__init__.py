# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .checkpoint import CheckpointMismatchError, load_checkpoint_strict
from .inference import (draw_prediction_file, init_detector_strict,
                        predict_images)

__all__ = [
    'CheckpointMismatchError', 'load_checkpoint_strict',
    'draw_prediction_file', 'init_detector_strict', 'predict_images'
]
