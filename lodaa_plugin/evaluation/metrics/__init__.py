# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .coco_metric import LodaaCocoMetric
from .per_class_ap import LodaaPerClassAP
from .voc_metric import LodaaVOCMetric

__all__ = ['LodaaCocoMetric', 'LodaaPerClassAP', 'LodaaVOCMetric']
