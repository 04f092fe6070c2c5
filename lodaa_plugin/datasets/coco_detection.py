# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""COCO-JSON detection data (what CVAT, Label Studio and Roboflow export),
with LODAA's guarantees: classes from the file, clear errors, counted
drops."""
import json
import logging
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .class_table import class_table
from .split_health import check_disjoint, coco_siblings
from .whole_test_set import WholeTestSetMixin

MAX_LISTED = 20


class CocoAnnotationError(ValueError):
    """A COCO annotation file that cannot be used as it is."""


def read_coco_categories(ann_file: str) -> List[str]:
    """The category names of a COCO JSON file, by increasing id.

    Args:
        ann_file (str): The JSON file.

    Returns:
        list[str]: Names.

    Raises:
        CocoAnnotationError: Naming the file and what is wrong.
    """
    data = _read_json(ann_file)
    return [c['name'] for c in sorted(data['categories'], key=_id)]


def _id(item: Dict) -> int:
    return item['id']


def _read_json(ann_file: str) -> Dict:
    if not osp.isfile(ann_file):
        raise CocoAnnotationError(f'{ann_file}: no such annotation file')
    try:
        with open(ann_file, encoding='utf-8-sig') as f:
            data = json.load(f)
    except json.JSONDecodeError as error:
        raise CocoAnnotationError(f'{ann_file}: not JSON ({error})') from None
    if not isinstance(data, dict):
        raise CocoAnnotationError(
            f'{ann_file}: a COCO file is a JSON object with "images", '
            '"annotations" and "categories"')
    missing = [
        k for k in ('images', 'annotations', 'categories') if k not in data
    ]
    if missing:
        raise CocoAnnotationError(
            f'{ann_file}: missing {", ".join(missing)} (a COCO detection '
            'file has "images", "annotations" and "categories")')
    if not data['images']:
        raise CocoAnnotationError(f'{ann_file}: no images')
    if not data['categories']:
        raise CocoAnnotationError(f'{ann_file}: no categories')
    return data


@DATASETS.register_module()
class LodaaCocoDataset(WholeTestSetMixin, CocoDataset):
    """COCO-JSON detection data.

    Extends mmdet's :class:`~mmdet.datasets.CocoDataset`:

    - Classes come from ``metainfo=dict(classes=...)``, else from the
      file's ``categories`` (by increasing id), not from COCO's 80.
    - A file that is not COCO JSON, without images or categories, with
      duplicate image ids, annotations of unknown images or unknown
      category ids, or naming image files that do not exist is refused with
      every problem listed; with ``skip_invalid=True`` the images concerned
      are skipped and counted instead. (mmdet drops such annotations
      silently.)
    - Boxes partly outside their image are clipped to it; boxes empty after
      clipping, and objects of categories left out of ``classes``, are
      dropped and reported in one warning each.
    - ``iscrowd`` objects keep ``ignore_flag=1`` (ignored in training and
      in the VOC metric, as VOC's ``difficult``).

    - A file whose name says ``train`` shares no image file (by path or
      content) with a ``val`` or ``test`` file beside it, nor ``val`` with
      ``test`` (:mod:`~lodaa_plugin.datasets.split_health`).
    - At start it logs a per-class table of images, objects and crowd
      objects.

    Args:
        skip_invalid (bool): Skip (and count) unusable images instead of
            raising. Defaults to False.
        allow_split_overlap (bool): Warn, instead of raising, when the file
            shares images with a sibling it must be disjoint from. Defaults
            to False.
        show_stats (bool): Log the per-class table. Defaults to True.
        **kwargs: Everything :class:`~mmdet.datasets.CocoDataset` takes.
    """

    def __init__(self,
                 *args,
                 skip_invalid: bool = False,
                 allow_split_overlap: bool = False,
                 show_stats: bool = True,
                 **kwargs) -> None:
        self.skip_invalid = skip_invalid
        self.allow_split_overlap = allow_split_overlap
        self.show_stats = show_stats
        metainfo = dict(kwargs.get('metainfo') or {})
        if 'classes' not in metainfo:
            ann_file = kwargs.get('ann_file', '')
            root = kwargs.get('data_root') or ''
            if ann_file and not osp.isabs(ann_file):
                ann_file = osp.join(root, ann_file)
            metainfo['classes'] = tuple(read_coco_categories(ann_file))
            kwargs['metainfo'] = metainfo
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Check the file, then load it as mmdet does (with clipping).

        Returns:
            list[dict]: One entry per usable image.
        """
        data = _read_json(self.ann_file)
        # images keyed by their resolved file, and compared by content for
        # every role: the same file, or a copy, in two splits
        check_disjoint(self.ann_file, self._image_files(data),
                       [(other, self._image_files(_read_json(other)))
                        for other in coco_siblings(self.ann_file)], True,
                       self.allow_split_overlap)
        problems, bad_images = self._problems(data)
        self._drops: Counter = Counter()
        self._drop_examples: Dict[str, str] = {}
        data_list = [
            d for d in super().load_data_list()
            if d['img_id'] not in bad_images
        ]
        for reason, n in self._drops.items():
            print_log(
                f'{self.ann_file}: {n} object(s) {reason} (e.g. '
                f'{self._drop_examples[reason]})',
                logger='current',
                level=logging.WARNING)
        if problems:
            listed = '\n  '.join(problems[:MAX_LISTED])
            if len(problems) > MAX_LISTED:
                listed += f'\n  ... and {len(problems) - MAX_LISTED} more'
            if not self.skip_invalid:
                raise CocoAnnotationError(
                    f'{self.ann_file}: {len(problems)} problem(s):\n  '
                    f'{listed}\n(fix them, or set skip_invalid=True to skip '
                    'the images concerned)')
            print_log(
                f'{self.ann_file}: skipped {len(bad_images)} image(s) '
                f'(skip_invalid=True):\n  {listed}',
                logger='current',
                level=logging.WARNING)
        if not data_list:
            raise CocoAnnotationError(f'{self.ann_file}: no usable image')
        return data_list

    def _image_files(self, data: Dict) -> Dict[str, str]:
        """Each image's resolved file, keyed by itself."""
        paths = (
            osp.abspath(
                osp.join(self.data_prefix.get('img', ''), image['file_name']))
            for image in data['images'])
        return {path: path for path in paths}

    def filter_data(self) -> List[dict]:
        """Filter as mmdet does, then log the per-class table once.

        Returns:
            list[dict]: The kept data infos.
        """
        data_list = super().filter_data()
        if self.show_stats:
            print_log(
                '\n' + class_table(data_list, self._metainfo['classes'],
                                   osp.relpath(self.ann_file, self.data_root),
                                   'crowd'),
                logger='current',
                level=logging.INFO)
        return data_list

    def _problems(self, data: Dict) -> tuple:
        problems, bad = [], set()
        categories = {c['id'] for c in data['categories']}
        ids = Counter(image['id'] for image in data['images'])
        for image_id, n in ids.items():
            if n > 1:
                problems.append(f'image id {image_id} appears {n} times')
                bad.add(image_id)
        for image in data['images']:
            path = osp.join(
                self.data_prefix.get('img', ''), image['file_name'])
            if not osp.isfile(path):
                problems.append(f'image {image["id"]}: {path} does not exist')
                bad.add(image['id'])
        for ann in data['annotations']:
            if ann.get('image_id') not in ids:
                problems.append(f'annotation {ann.get("id")}: image id '
                                f'{ann.get("image_id")} is not in "images"')
            elif ann.get('category_id') not in categories:
                problems.append(
                    f'annotation {ann.get("id")} (image {ann["image_id"]}): '
                    f'category id {ann.get("category_id")} is not in '
                    f'"categories" (ids {sorted(categories)})')
                bad.add(ann['image_id'])
            elif len(ann.get('bbox') or []) != 4:
                problems.append(f'annotation {ann.get("id")}: bbox '
                                f'{ann.get("bbox")} is not [x, y, w, h]')
                bad.add(ann['image_id'])
        return problems, bad

    def _drop(self, reason: str, where: str) -> None:
        """Count an object dropped or changed while loading."""
        self._drops[reason] += 1
        self._drop_examples.setdefault(reason, where)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """One image's entry: mmdet's, with boxes clipped to the image and
        every dropped object counted.

        Args:
            raw_data_info (dict): ``raw_img_info`` and ``raw_ann_info``.

        Returns:
            dict: The image's entry.
        """
        img = raw_data_info['raw_img_info']
        keep = []
        for ann in raw_data_info['raw_ann_info']:
            where = f'annotation {ann.get("id")} of {img["file_name"]}'
            if ann.get('category_id') not in self.cat_ids:
                self._drop('dropped: category not in the classes', where)
                continue
            if len(ann.get('bbox') or []) != 4:
                continue  # listed as a problem
            x, y, w, h = ann['bbox']
            x1, y1 = max(x, 0), max(y, 0)
            x2, y2 = min(x + w, img['width']), min(y + h, img['height'])
            if x2 - x1 < 1 or y2 - y1 < 1:
                self._drop('dropped: box empty (under 1 px) inside its image',
                           where)
                continue
            if (x1, y1, x2, y2) != (x, y, x + w, y + h):
                self._drop('clipped: box partly outside its image', where)
            keep.append(
                dict(
                    ann,
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    area=max(ann.get('area', 0), 1)))
        return super().parse_data_info(
            dict(raw_ann_info=keep, raw_img_info=img))

    @property
    def drops(self) -> Optional[Counter]:
        """Objects dropped while loading, by reason."""
        return getattr(self, '_drops', None)
