# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .fcos_targets import fcos_targets, pad_boxes
from .grouped_nms import batched_nms

__all__ = ['batched_nms', 'fcos_targets', 'pad_boxes']
