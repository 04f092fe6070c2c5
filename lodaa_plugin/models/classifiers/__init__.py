# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .linear_probe import LinearProbeClassifier

__all__ = ['LinearProbeClassifier']
