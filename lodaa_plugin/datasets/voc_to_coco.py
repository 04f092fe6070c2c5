# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Write a VOC-layout split as COCO JSON: the same images and boxes for
:class:`~lodaa_plugin.datasets.LodaaCocoDataset` and mmdet's
``CocoMetric``."""
import json
import os.path as osp
from typing import Sequence

from ..utils.atomic_write import atomic_write_bytes
from .voc_xml import parse_voc_xml


def voc_to_coco(year_dir: str,
                split: str,
                classes: Sequence[str],
                out_file: str,
                image_prefix: str = '') -> str:
    """Convert ``ImageSets/Main/{split}.txt`` of a VOC year folder.

    Boxes keep the values LODAA's VOC dataset gives them (0-based, as
    mmdet's); ``difficult`` objects become ``iscrowd=1`` (ignored in
    training and in both metrics); category ids are 1-based in ``classes``'
    order.

    Args:
        year_dir (str): E.g. ``.../VOCdevkit/VOC2007``.
        split (str): The list's name, e.g. ``'test'``.
        classes (Sequence[str]): Class names in label order.
        out_file (str): The JSON to write (atomically).
        image_prefix (str): Prefix of each ``file_name``, relative to the
            COCO dataset's image folder. Defaults to ``''``.

    Returns:
        str: ``out_file``.
    """
    with open(osp.join(year_dir, 'ImageSets', 'Main', f'{split}.txt')) as f:
        ids = [line.strip() for line in f if line.strip()]
    images, annotations = [], []
    for number, img_id in enumerate(ids, 1):
        parsed = parse_voc_xml(
            osp.join(year_dir, 'Annotations', f'{img_id}.xml'), classes)
        images.append(
            dict(
                id=number,
                file_name=osp.join(image_prefix, f'{img_id}.jpg'),
                width=parsed.width,
                height=parsed.height))
        for obj in parsed.objects:
            x1, y1, x2, y2 = obj.bbox
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=number,
                    category_id=list(classes).index(obj.name) + 1,
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    area=(x2 - x1) * (y2 - y1),
                    iscrowd=int(obj.difficult)))
    categories = [
        dict(id=i, name=name, supercategory='object')
        for i, name in enumerate(classes, 1)
    ]
    atomic_write_bytes(
        json.dumps(
            dict(
                images=images, annotations=annotations,
                categories=categories)).encode(), out_file)
    return out_file
