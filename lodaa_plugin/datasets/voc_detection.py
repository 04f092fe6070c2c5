# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""PASCAL VOC detection dataset that takes real-world VOC-layout data."""
import logging
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence, Union

from mmdet.datasets import VOCDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log
from terminaltables import AsciiTable

from .voc_xml import VOCAnnotationError, parse_voc_xml, read_classes_file

MAX_LISTED_ERRORS = 50


def find_classes_file(data_root: str, sub_roots: Sequence[str]) -> Optional[str]:
    """The ``classes.txt`` of a dataset: in a year folder, else the root.

    Args:
        data_root (str): The dataset root (``.../VOCdevkit/``).
        sub_roots (Sequence[str]): Year folders relative to the root.

    Returns:
        str or None: The first ``classes.txt`` found.
    """
    for folder in [osp.join(data_root, s) for s in sub_roots] + [data_root]:
        path = osp.join(folder, 'classes.txt')
        if osp.isfile(path):
            return path
    return None


@DATASETS.register_module()
class LodaaVOCDataset(VOCDataset):
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
        ann_file (str or list[str]): Image-id lists relative to
            ``data_root``, e.g. ``'VOC2007/ImageSets/Main/test.txt'``.
        skip_invalid (bool): Skip (and count) images whose annotation or
            image file is unusable instead of raising.
        show_stats (bool): Log the per-class table.
        **kwargs: Everything :class:`~mmdet.datasets.VOCDataset` accepts.
    """

    def __init__(self,
                 ann_file: Union[str, List[str]] = '',
                 skip_invalid: bool = False,
                 show_stats: bool = True,
                 **kwargs) -> None:
        self.ann_files = [ann_file] if isinstance(ann_file, str) else list(
            ann_file)
        if not self.ann_files or not all(self.ann_files):
            raise ValueError('LodaaVOCDataset needs ann_file, e.g. '
                             "'VOC2007/ImageSets/Main/trainval.txt'")
        self.skip_invalid = skip_invalid
        self.show_stats = show_stats
        data_root = kwargs.get('data_root', '') or ''
        self.sub_roots = [self._sub_root(f) for f in self.ann_files]
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if 'classes' not in metainfo:
            classes_file = find_classes_file(data_root, self.sub_roots)
            if classes_file is not None:
                metainfo['classes'] = read_classes_file(classes_file)
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
            raise ValueError(
                f'ann_file {ann_file!r} is not in VOC layout '
                '(<year>/ImageSets/Main/<split>.txt)')
        return osp.join(*parts[:parts.index('ImageSets')]) \
            if parts.index('ImageSets') else ''

    def _check_layout(self, ann_path: str) -> None:
        if not osp.isfile(ann_path):
            expected = osp.join(self.data_root or '.', '<year>',
                                'ImageSets', 'Main', '<split>.txt')
            raise FileNotFoundError(
                f'{ann_path} does not exist. LODAA expects the VOC layout '
                f'{expected} with {self.img_subdir}/ and {self.ann_subdir}/ '
                f"beside ImageSets/ (data_root={self.data_root!r}).")

    def load_data_list(self) -> List[dict]:
        """Parse every listed annotation file.

        Returns:
            list[dict]: One mmdet data-info dict per usable image.
        """
        classes = self._metainfo['classes']
        self.cat2label = {cat: i for i, cat in enumerate(classes)}
        data_list, errors = [], []
        drops: Counter = Counter()
        drop_example: Dict[str, str] = {}
        for ann_file, sub_root in zip(self.ann_files, self.sub_roots):
            ann_path = osp.join(self.data_root, ann_file)
            self._check_layout(ann_path)
            root = osp.join(self.data_root, sub_root)
            with open(ann_path) as f:
                img_ids = [line.split()[0] for line in f if line.strip()]
            for img_id, count in Counter(img_ids).items():
                if count > 1:
                    errors.append(f'{ann_path}: id {img_id} listed {count} '
                                  'times')
            for img_id in dict.fromkeys(img_ids):
                img_path = osp.join(root, self.img_subdir, f'{img_id}.jpg')
                xml_path = osp.join(root, self.ann_subdir, f'{img_id}.xml')
                if not osp.isfile(img_path):
                    errors.append(f'{img_path}: image file missing (id '
                                  f'{img_id} in {ann_path})')
                    continue
                try:
                    if not osp.isfile(xml_path):
                        raise VOCAnnotationError(
                            f'{xml_path}: annotation file missing (id '
                            f'{img_id} in {ann_path})')
                    ann = parse_voc_xml(xml_path, classes, img_path)
                except VOCAnnotationError as err:
                    errors.append(str(err))
                    continue
                for reason, n in ann.drops.items():
                    drops[reason] += n
                    drop_example.setdefault(reason, xml_path)
                data_list.append(
                    dict(
                        img_id=img_id,
                        img_path=img_path,
                        xml_path=xml_path,
                        width=ann.width,
                        height=ann.height,
                        instances=[
                            dict(
                                bbox=list(obj.bbox),
                                bbox_label=self.cat2label[obj.name],
                                ignore_flag=int(obj.difficult))
                            for obj in ann.objects
                        ]))
        self._report(errors, drops, drop_example)
        return data_list

    def _report(self, errors: List[str], drops: Counter,
                drop_example: Dict[str, str]) -> None:
        for reason, n in drops.items():
            print_log(
                f'{n} object(s) dropped: {reason} (e.g. in '
                f'{drop_example[reason]}). Known classes: '
                f'{", ".join(self._metainfo["classes"])}.',
                logger='current',
                level=logging.WARNING)
        if not errors:
            return
        listed = '\n  '.join(errors[:MAX_LISTED_ERRORS])
        more = len(errors) - MAX_LISTED_ERRORS
        if more > 0:
            listed += f'\n  ... and {more} more'
        if self.skip_invalid:
            print_log(
                f'skip_invalid=True: skipped {len(errors)} unusable '
                f'entries:\n  {listed}',
                logger='current',
                level=logging.WARNING)
        else:
            raise VOCAnnotationError(
                f'{len(errors)} problem(s) in the dataset at '
                f'{self.data_root}:\n  {listed}\nFix them, or set '
                'skip_invalid=True in the dataset config to skip these '
                'images.')

    def filter_data(self) -> List[dict]:
        """Filter as mmdet does, then log the per-class table once.

        Returns:
            list[dict]: The kept data infos.
        """
        data_list = super().filter_data()
        if self.show_stats:
            print_log(
                '\n' + self.stats_table(data_list),
                logger='current',
                level=logging.INFO)
        return data_list

    def stats_table(self, data_list: List[dict]) -> str:
        """A per-class table of images, objects and difficult objects.

        Args:
            data_list (list[dict]): Data infos as :meth:`load_data_list`
                returns them.

        Returns:
            str: The table, titled with the split files.
        """
        classes = self._metainfo['classes']
        images, objects, difficult = Counter(), Counter(), Counter()
        for info in data_list:
            seen = set()
            for inst in info['instances']:
                label = inst['bbox_label']
                if inst['ignore_flag']:
                    difficult[label] += 1
                else:
                    objects[label] += 1
                seen.add(label)
            images.update(seen)
        rows = [['class', 'images', 'objects', 'difficult']]
        for i, name in enumerate(classes):
            rows.append([name, images[i], objects[i], difficult[i]])
        rows.append([
            'total',
            len(data_list),
            sum(objects.values()),
            sum(difficult.values())
        ])
        title = ' + '.join(self.ann_files)
        table = AsciiTable(rows, title=title)
        table.inner_footing_row_border = True
        return table.table
