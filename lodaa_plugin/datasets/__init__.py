# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .load_image import ImageLoadError, LodaaLoadImageFromFile
from .voc_classification import LodaaVOCClsDataset
from .voc_detection import LodaaVOCDataset
from .voc_xml import (VOCAnnotation, VOCAnnotationError, VOCObject,
                      load_voc_split, parse_voc_xml, read_classes_file)

__all__ = [
    'ImageLoadError', 'LodaaLoadImageFromFile',     'LodaaVOCClsDataset', 'LodaaVOCDataset', 'VOCAnnotation',
    'VOCAnnotationError', 'VOCObject', 'load_voc_split', 'parse_voc_xml',
    'read_classes_file'
]
