# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""COCO-JSON detection data (what CVAT, Label Studio and Roboflow export),
with LODAA's guarantees: classes from the file, clear errors, counted
drops."""
import contextlib
import copy
import io
import logging
import math
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from ..json_files import read_json
from .class_table import class_table
from .split_health import check_disjoint, coco_siblings
from .voc_classes import check_class_names
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
    data = read_json(ann_file, CocoAnnotationError)
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
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(data[key], list) or not all(
                isinstance(item, dict) for item in data[key]):
            raise CocoAnnotationError(
                f'{ann_file}: "{key}" is not a list of objects')
    if not data['images']:
        raise CocoAnnotationError(f'{ann_file}: no images')
    if not data['categories']:
        raise CocoAnnotationError(f'{ann_file}: no categories')
    _check_categories(ann_file, data['categories'])
    return data


def _check_categories(ann_file: str, categories: List[Dict]) -> None:
    """Refuse categories without an integer id and a name, and repeated
    ids or names: labels are given by name, so a name must mean one
    category."""
    for cat in categories:
        if not _is_int(cat.get('id')) or not isinstance(
                cat.get('name'), str) or not cat['name']:
            raise CocoAnnotationError(
                f'{ann_file}: category {cat} needs an integer "id" and a '
                '"name"')
    for key in ('id', 'name'):
        repeated = {
            v: n
            for v, n in Counter(c[key] for c in categories).items() if n > 1
        }
        if repeated:
            listed = ', '.join(f'{v!r} ({n} times)'
                               for v, n in repeated.items())
            raise CocoAnnotationError(
                f'{ann_file}: repeated category {key}(s): {listed}; each '
                'category needs its own id and name')


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    """A finite int or float (JSON's NaN and Infinity are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


@DATASETS.register_module()
class LodaaCocoDataset(WholeTestSetMixin, CocoDataset):
    """COCO-JSON detection data.

    Extends mmdet's :class:`~mmdet.datasets.CocoDataset`:

    - Classes come from ``metainfo=dict(classes=...)``, else from the
      file's ``categories`` (by increasing id), not from COCO's 80. Labels
      are given by category *name*: ``classes[i]`` is label ``i`` whatever
      the order of the file's ids (mmdet numbers them in the file's order).
      Categories without an integer id and a name, or with a repeated id or
      name, are refused.
    - Annotations whose ``bbox`` is not four finite numbers (strings, NaN,
      Infinity) are problems, as non-numeric coordinates of a VOC file are.
    - A file with a UTF-8 byte-order mark reads as one without. A training
      file left without any object of the classes is refused naming it.
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
        else:
            # labels are given by name: a name twice would be two labels
            metainfo['classes'] = check_class_names(metainfo['classes'],
                                                    'metainfo.classes')
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
        data_list = self._load_coco(data, bad_images)
        for reason, n in self._drops.items():
            print_log(
                f'{self.ann_file}: {n} object(s) {reason} (e.g. '
                f'{self._drop_examples[reason]})',
                logger='current',
                level=logging.WARNING)
        if not data_list:
            raise CocoAnnotationError(f'{self.ann_file}: no usable image')
        return data_list

    def _load_coco(self, data: Dict, bad_images: set) -> List[dict]:
        """mmdet's loading, from the file as read here (with or without a
        byte-order mark) and with labels given by category name.

        mmdet numbers the categories in the file's order, which is not the
        order of ``classes`` when the file lists ids out of order or
        ``metainfo.classes`` orders them otherwise: boxes would get another
        class's label.
        """
        self.coco = self.COCOAPI()
        # the images and annotations listed as problems stay out
        self.coco.dataset = dict(
            data,
            images=[
                i for i in data['images'] if i.get('id') not in bad_images
            ],
            annotations=[
                a for a in data['annotations'] if
                a.get('image_id') not in bad_images and _is_int(a.get('id'))
            ])
        with contextlib.redirect_stdout(io.StringIO()):
            self.coco.createIndex()  # prints 'creating index...'
        ids = {c['name']: c['id'] for c in data['categories']}
        classes = self._metainfo['classes']
        absent = [name for name in classes if name not in ids]
        if absent:
            print_log(
                f'{self.ann_file}: class(es) {", ".join(absent)} have no '
                f'category in the file (its categories: {", ".join(ids)})',
                logger='current',
                level=logging.WARNING)
        self.cat_ids = [ids[name] for name in classes if name in ids]
        self.cat2label = {
            ids[name]: label
            for label, name in enumerate(classes) if name in ids
        }
        # catToImgs: the wrapper's cat_img_map alias is the dict from
        # before createIndex
        self.cat_img_map = copy.deepcopy(self.coco.catToImgs)
        data_list = []
        for img_id in self.coco.get_img_ids():
            raw_img_info = dict(self.coco.load_imgs([img_id])[0])
            raw_img_info['img_id'] = img_id
            raw_ann_info = self.coco.load_anns(
                self.coco.get_ann_ids(img_ids=[img_id]))
            data_list.append(
                self.parse_data_info(
                    dict(raw_ann_info=raw_ann_info,
                         raw_img_info=raw_img_info)))
        del self.coco
        return data_list

    def _image_files(self, data: Dict) -> Dict[str, str]:
        """Each image's resolved file, keyed by itself."""
        paths = (
            osp.abspath(
                osp.join(self.data_prefix.get('img', ''), image['file_name']))
            for image in data['images']
            if isinstance(image.get('file_name'), str))
        return {path: path for path in paths}

    def filter_data(self) -> List[dict]:
        """Filter as mmdet does, then log the per-class table once.

        Returns:
            list[dict]: The kept data infos.
        """
        data_list = super().filter_data()
        if self.data_list and not data_list:
            # as the VOC dataset says it, not mmdet's 'need at least one
            # array to concatenate' from the sampler
            objects = sum(len(d['instances']) for d in self.data_list)
            raise CocoAnnotationError(
                f'{self.ann_file}: no image is left for training: '
                f'{len(self.data_list)} image(s) with {objects} object(s) of '
                f'the classes {tuple(self._metainfo["classes"])} (filter_cfg '
                f'{self.filter_cfg}). Annotate the images, or set the classes '
                '(metainfo.classes) to the names of the file\'s categories.')
        if self.show_stats:
            print_log(
                '\n' + class_table(data_list, self._metainfo['classes'],
                                   osp.relpath(self.ann_file, self.data_root),
                                   'crowd'),
                logger='current',
                level=logging.INFO)
        return data_list

    def _problems(self, data: Dict) -> tuple:
        """Every problem of the file, and the ids of the images concerned.

        As in the VOC files (:mod:`~lodaa_plugin.datasets.voc_xml`), a
        value that is not a finite number (a string, NaN, Infinity) is an
        error naming the annotation, never a box clipped or dropped.
        """
        problems, bad = [], set()
        categories = {c['id'] for c in data['categories']}
        ids = Counter(image.get('id') for image in data['images'])
        for image_id, n in ids.items():
            if n > 1:
                problems.append(f'image id {image_id} appears {n} times')
                bad.add(image_id)
        for image in data['images']:
            if not _is_int(image.get('id')) or not isinstance(
                    image.get('file_name'), str):
                problems.append(f'image {image}: needs an integer "id" and '
                                'a "file_name"')
                bad.add(image.get('id'))
                continue
            size = [image.get('width'), image.get('height')]
            if not all(_is_number(v) and v > 0 for v in size):
                problems.append(
                    f'image {image["id"]} ({image["file_name"]}): width, '
                    f'height {size} are not positive numbers')
                bad.add(image['id'])
            path = osp.join(
                self.data_prefix.get('img', ''), image['file_name'])
            if not osp.isfile(path):
                problems.append(f'image {image["id"]}: {path} does not exist')
                bad.add(image['id'])
        ann_ids = Counter(ann.get('id') for ann in data['annotations'])
        for ann in data['annotations']:
            where = f'annotation {ann.get("id")} (image {ann.get("image_id")})'
            box = ann.get('bbox')
            if ann.get('image_id') not in ids:
                problems.append(f'annotation {ann.get("id")}: image id '
                                f'{ann.get("image_id")} is not in "images"')
                continue
            if not _is_int(ann.get('id')):
                problems.append(f'{where}: no integer "id"')
            elif ann_ids[ann['id']] > 1:
                problems.append(f'{where}: annotation id {ann["id"]} appears '
                                f'{ann_ids[ann["id"]]} times')
            elif ann.get('category_id') not in categories:
                problems.append(
                    f'{where}: category id {ann.get("category_id")} is not '
                    f'in "categories" (ids {sorted(categories)})')
            elif not isinstance(box, list) or len(box) != 4:
                problems.append(f'{where}: bbox {box!r} is not [x, y, w, h]')
            elif not all(_is_number(v) for v in box):
                problems.append(f'{where}: bbox {box!r} holds a value that '
                                'is not a finite number')
            else:
                continue
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
                    area=(x2 - x1) * (y2 - y1)))
        return super().parse_data_info(
            dict(raw_ann_info=keep, raw_img_info=img))

    @property
    def drops(self) -> Optional[Counter]:
        """Objects dropped while loading, by reason."""
        return getattr(self, '_drops', None)
