# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""PASCAL VOC multi-label classification with LODAA's VOC parsing."""
import os.path as osp
from typing import List

from mmpretrain.datasets import VOC
from mmpretrain.registry import DATASETS

from .annotation_cache import AnnotationCache
from .split_health import check_split_health
from .voc_classes import resolve_classes
from .voc_split import load_voc_split, report_problems
from .voc_xml import VOCAnnotationError
from .whole_test_set import WholeTestSetMixin


@DATASETS.register_module()
class LodaaVOCClsDataset(WholeTestSetMixin, VOC):
    """Multi-label VOC: an image's labels are its classes.

    Extends mmpretrain's :class:`~mmpretrain.datasets.VOC` with the parsing
    of :class:`LodaaVOCDataset` (tolerant XML, ``classes.txt``, every broken
    file listed or, with ``skip_invalid``, skipped and counted).

    ``gt_label`` holds the classes with at least one non-difficult object;
    ``gt_label_difficult`` the classes present *only* as difficult objects,
    which the loss (:class:`DifficultAwareMultiLabelHead`) and the metric
    (:class:`~lodaa_plugin.evaluation.metrics.LodaaPerClassAP`) ignore by
    default.

    Args:
        data_root (str): The year folder, e.g. ``'data/VOCdevkit/VOC2007'``.
        split (str): ``'train'``, ``'val'``, ``'trainval'`` or ``'test'``.
            Defaults to ``'trainval'``.
        skip_invalid (bool): Skip unusable images instead of raising. Defaults
            to False.
        allow_split_overlap (bool): Warn, instead of raising, when the split
            shares images with a sibling list it must be disjoint from
            (:mod:`~lodaa_plugin.datasets.split_health`). Defaults to False.
        **kwargs: Everything :class:`~mmpretrain.datasets.VOC` accepts.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'trainval',
                 skip_invalid: bool = False,
                 allow_split_overlap: bool = False,
                 **kwargs) -> None:
        self.skip_invalid = skip_invalid
        self.allow_split_overlap = allow_split_overlap
        metainfo = resolve_classes(kwargs.pop('metainfo', None), data_root, [])
        super().__init__(
            data_root=data_root, split=split, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read every listed image's labels.

        Returns:
            list[dict]: ``img_path``, ``gt_label``, ``gt_label_difficult``.
        """
        classes = self.CLASSES
        check_split_health(
            self.image_set_path,
            lambda img_id: osp.join(self.img_prefix, f'{img_id}.jpg'),
            self.allow_split_overlap)
        cache = AnnotationCache(self.data_root, classes)
        loaded = load_voc_split(self.image_set_path, self.data_root, classes,
                                osp.relpath(self.img_prefix, self.data_root),
                                osp.relpath(self.ann_prefix, self.data_root),
                                cache)
        cache.save()
        report_problems(loaded, classes, self.data_root, self.skip_invalid)
        if not loaded.images:
            raise VOCAnnotationError(
                f'no usable image in {self.image_set_path}')
        data_list = []
        for _, img_path, ann in loaded.images:
            labels = {
                self.class_to_idx[o.name]
                for o in ann.objects if not o.difficult
            }
            difficult = {
                self.class_to_idx[o.name]
                for o in ann.objects if o.difficult
            } - labels
            data_list.append(
                dict(
                    img_path=img_path,
                    gt_label=sorted(labels),
                    gt_label_difficult=sorted(difficult)))
        return data_list
