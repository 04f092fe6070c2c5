# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .annotation_cache import AnnotationCache
from .coco_detection import (CocoAnnotationError, LodaaCocoDataset,
                             read_coco_categories)
from .transforms import *  # noqa: F401,F403
from .voc_classes import read_classes_file, resolve_classes
from .voc_classification import LodaaVOCClsDataset
from .voc_detection import LodaaVOCDataset
from .voc_split import VOCSplit, load_voc_split, report_problems
from .voc_xml import (VOCAnnotation, VOCAnnotationError, VOCObject,
                      parse_voc_xml)

__all__ = [
    'AnnotationCache', 'CocoAnnotationError', 'LodaaCocoDataset',
    'read_coco_categories', 'LodaaVOCClsDataset', 'LodaaVOCDataset',
    'VOCSplit', 'load_voc_split', 'report_problems', 'VOCAnnotation',
    'VOCAnnotationError', 'VOCObject', 'parse_voc_xml', 'read_classes_file',
    'resolve_classes'
]
