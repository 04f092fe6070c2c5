# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .voc_metric import LodaaVOCMetric

__all__ = ['LodaaVOCMetric']
