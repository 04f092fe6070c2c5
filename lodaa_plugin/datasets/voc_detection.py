# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""PASCAL VOC detection dataset that takes real-world VOC-layout data."""
import logging
import os.path as osp
from typing import List, Union

from mmdet.datasets import VOCDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .annotation_cache import AnnotationCache
from .class_table import class_table
from .split_health import check_split_health
from .voc_classes import resolve_classes
from .voc_split import (VOCSplit, load_voc_split, report_problems,
                        unknown_names_text)
from .voc_xml import VOCAnnotationError
from .whole_test_set import WholeTestSetMixin


@DATASETS.register_module()
class LodaaVOCDataset(WholeTestSetMixin, VOCDataset):
    """VOC-layout detection data from one or several years and splits.

    Extends mmdet's :class:`~mmdet.datasets.VOCDataset`:

    - ``ann_file`` may be a list (VOC2007 + VOC2012 trainval in one dataset);
      each file's year folder is the part of its path before ``ImageSets``.
    - Classes come from ``metainfo=dict(classes=...)``, else from a
      ``classes.txt`` beside the data, else the 20 VOC classes.
    - Annotations are parsed by :func:`parse_voc_xml` (tags in any order,
      float coordinates, missing ``<size>``, boxes clipped to the image).
      Objects of unknown classes and empty boxes are dropped and reported in
      one warning; unusable files are all listed in one error, or skipped
      and counted with ``skip_invalid=True``.
    - ``difficult`` objects keep ``ignore_flag=1``: neither positive nor
      negative in training (with :class:`FCOSRegCenternessHead`) and in the
      VOC evaluation.
    - At start it logs a per-class table of images, objects and difficult
      objects.

    Args:
        ann_file (str or list[str]): Image-id lists relative to ``data_root``,
            e.g. ``'VOC2007/ImageSets/Main/test.txt'``. Defaults to ``''``.
        skip_invalid (bool): Skip (and count) images whose annotation or image
            file is unusable instead of raising. Defaults to False.
        allow_split_overlap (bool): Warn, instead of raising, when the list
            shares images with a sibling list it must be disjoint from
            (:mod:`~lodaa_plugin.datasets.split_health`). Defaults to False.
        cache_annotations (bool): Keep parsed annotations between runs
            (:class:`AnnotationCache`); changed files are parsed again.
            Defaults to True.
        show_stats (bool): Log the per-class table. Defaults to True.
        **kwargs: Everything :class:`~mmdet.datasets.VOCDataset` accepts.
    """

    def __init__(self,
                 ann_file: Union[str, List[str]] = '',
                 skip_invalid: bool = False,
                 allow_split_overlap: bool = False,
                 show_stats: bool = True,
                 cache_annotations: bool = True,
                 **kwargs) -> None:
        self.ann_files = [ann_file] if isinstance(ann_file,
                                                  str) else list(ann_file)
        if not self.ann_files or not all(self.ann_files):
            raise ValueError('LodaaVOCDataset needs ann_file, e.g. '
                             "'VOC2007/ImageSets/Main/trainval.txt'")
        self.skip_invalid = skip_invalid
        self.allow_split_overlap = allow_split_overlap
        self.show_stats = show_stats
        self.cache_annotations = cache_annotations
        data_root = kwargs.get('data_root', '') or ''
        self.sub_roots = [self._sub_root(f) for f in self.ann_files]
        metainfo = resolve_classes(
            kwargs.pop('metainfo', None), data_root, self.sub_roots)
        if 'classes' in metainfo and 'palette' not in metainfo and tuple(
                metainfo['classes']) != self.METAINFO['classes']:
            metainfo['palette'] = None
        super().__init__(ann_file='', metainfo=metainfo, **kwargs)
        # mmdet's VOCMetric names the classes of a 'VOC2007'/'VOC2012'
        # dataset with the VOC names: only VOC classes may claim a year.
        years = {osp.basename(osp.normpath(s)) for s in self.sub_roots}
        is_voc = tuple(self._metainfo['classes']) == self.METAINFO['classes']
        self._metainfo['dataset_type'] = years.pop() if is_voc and len(
            years) == 1 and years <= {'VOC2007', 'VOC2012'} else None

    @staticmethod
    def _sub_root(ann_file: str) -> str:
        parts = osp.normpath(ann_file).split(osp.sep)
        if 'ImageSets' not in parts:
            raise ValueError(f'ann_file {ann_file!r} is not in VOC layout '
                             '(<year>/ImageSets/Main/<split>.txt)')
        return osp.join(*parts[:parts.index('ImageSets')]) \
            if parts.index('ImageSets') else ''

    def load_data_list(self) -> List[dict]:
        """Parse every listed annotation file.

        Returns:
            list[dict]: One mmdet data-info dict per usable image.
        """
        classes = self._metainfo['classes']
        self.cat2label = {cat: i for i, cat in enumerate(classes)}
        merged = VOCSplit()
        for ann_file, sub_root in zip(self.ann_files, self.sub_roots):
            year_root = osp.join(self.data_root, sub_root)
            check_split_health(
                osp.join(self.data_root, ann_file),
                lambda img_id, root=year_root: osp.join(
                    root, self.img_subdir, f'{img_id}.jpg'),
                self.allow_split_overlap)
            cache = AnnotationCache(year_root, classes) \
                if self.cache_annotations else None
            split = load_voc_split(
                osp.join(self.data_root, ann_file), year_root, classes,
                self.img_subdir, self.ann_subdir, cache)
            if cache is not None:
                cache.save()
            merged.extend(split)
        report_problems(merged, classes, self.data_root, self.skip_invalid)
        self._unknown_names = unknown_names_text(merged)
        if not merged.images:
            raise VOCAnnotationError(
                f'no usable image in {", ".join(self.ann_files)} under '
                f'{self.data_root}')
        min_size = (self.filter_cfg or {}).get('bbox_min_size')
        if min_size is not None and self.test_mode:
            raise ValueError(
                f'filter_cfg.bbox_min_size={min_size} on a test set: it would '
                'mark small true boxes ignored and change the metric (mmdet '
                'refuses it too); set it for training only')
        small = 0

        def ignored(obj) -> int:
            nonlocal small
            x1, y1, x2, y2 = obj.bbox
            too_small = min_size is not None and (x2 - x1 < min_size
                                                  or y2 - y1 < min_size)
            small += int(too_small and not obj.difficult)
            return int(obj.difficult or too_small)

        data_list = [
            dict(
                img_id=img_id,
                img_path=img_path,
                xml_path=ann.xml_path,
                width=ann.width,
                height=ann.height,
                instances=[
                    dict(
                        bbox=list(obj.bbox),
                        bbox_label=self.cat2label[obj.name],
                        ignore_flag=ignored(obj)) for obj in ann.objects
                ]) for img_id, img_path, ann in merged.images
        ]
        if small:
            print_log(
                f'{small} box(es) narrower or lower than '
                f'filter_cfg.bbox_min_size={min_size} marked ignored, as '
                f'mmdet does ({self.data_root})',
                logger='current',
                level=logging.WARNING)
        return data_list

    def filter_data(self) -> List[dict]:
        """Filter as mmdet does, then log the per-class table once.

        Returns:
            list[dict]: The kept data infos.
        """
        data_list = super().filter_data()
        if self.data_list and not data_list:
            unknown = getattr(self, '_unknown_names', '')
            raise VOCAnnotationError(
                f'no image of {" + ".join(self.ann_files)} under '
                f'{self.data_root} is left for training: none has an object '
                f'of the classes {tuple(self._metainfo["classes"])}' +
                (f' (the annotations name {unknown})' if unknown else '') +
                '. Set the classes (metainfo.classes or a classes.txt) to '
                'the names the annotations use.')
        left_out = len(self.data_list) - len(data_list)
        if left_out:
            print_log(
                f'{left_out} image(s) without objects or smaller than '
                f'filter_cfg.min_size left out of training ({self.data_root})',
                logger='current',
                level=logging.WARNING)
        if self.show_stats:
            print_log(
                '\n' + self.stats_table(data_list),
                logger='current',
                level=logging.INFO)
        return data_list

    def stats_table(self, data_list: List[dict]) -> str:
        """Tabulate images, objects and difficult objects per class.

        Args:
            data_list (list[dict]): Data infos as :meth:`load_data_list`
                returns them.

        Returns:
            str: The table, titled with the split files.
        """
        return class_table(data_list, self._metainfo['classes'],
                           ' + '.join(self.ann_files), 'difficult')
