# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .voc_detection import LodaaVOCDataset
from .voc_xml import (VOCAnnotation, VOCAnnotationError, VOCObject,
                      parse_voc_xml, read_classes_file)

__all__ = [
    'LodaaVOCDataset', 'VOCAnnotation', 'VOCAnnotationError', 'VOCObject',
    'parse_voc_xml', 'read_classes_file'
]
