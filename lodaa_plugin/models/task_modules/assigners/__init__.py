# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .fcos_batch_assigner import FCOSBatchAssigner

__all__ = ['FCOSBatchAssigner']
