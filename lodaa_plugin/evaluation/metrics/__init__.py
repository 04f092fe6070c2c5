# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .per_class_ap import LodaaPerClassAP
from .voc_metric import LodaaVOCMetric

__all__ = ['LodaaPerClassAP', 'LodaaVOCMetric']
