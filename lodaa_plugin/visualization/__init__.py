# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .detections import draw_detections, save_detection_grid
from .loss_curves import find_scalars_file, plot_losses, read_scalars

__all__ = [
    'draw_detections', 'save_detection_grid', 'find_scalars_file',
    'plot_losses', 'read_scalars'
]
