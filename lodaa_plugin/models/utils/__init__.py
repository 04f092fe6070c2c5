# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .grouped_nms import batched_nms

__all__ = ['batched_nms']
