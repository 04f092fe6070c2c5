# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .inference import draw_prediction_file, predict_images

__all__ = ['draw_prediction_file', 'predict_images']
