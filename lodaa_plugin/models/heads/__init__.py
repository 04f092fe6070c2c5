# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .difficult_aware_head import DifficultAwareMultiLabelHead

__all__ = ['DifficultAwareMultiLabelHead']
