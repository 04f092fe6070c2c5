# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .misc import pad_boxes

__all__ = ['pad_boxes']
