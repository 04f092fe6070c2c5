# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .confusion_matrix import plot_confusion_matrix
from .detections import draw_detections, save_detection_grid
from .loss_curves import find_scalars_file, plot_losses, read_scalars
from .pr_curves import plot_pr_curves
from .tsne import class_colours, embed_tsne, image_colours, plot_tsne

__all__ = [
    'plot_confusion_matrix', 'draw_detections', 'save_detection_grid',
    'find_scalars_file', 'plot_losses', 'read_scalars', 'plot_pr_curves',
    'class_colours', 'embed_tsne', 'image_colours', 'plot_tsne'
]
