# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Convert a VOC-layout folder's splits to COCO JSON (mmdet's
``tools/dataset_converters`` name), for LODAA's COCO-format configs.

    python tools/dataset_converters/voc_to_coco.py \\
        data/VOCdevkit/VOC2007 data/voc07_coco --splits trainval test

Writes ``OUT/annotations/instances_{split}.json`` and links ``OUT/images``
to the year folder's ``JPEGImages`` (the layout of
``configs/_base_/datasets/coco_format_detection.py``). Classes come from
``--classes``, else the folder's ``classes.txt``, else the 20 VOC classes.
"""
import argparse
import os
import os.path as osp
import sys

from lodaa_plugin.datasets import resolve_classes
from lodaa_plugin.datasets.voc_to_coco import voc_to_coco

SPLITS = ('train', 'val', 'trainval', 'test')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('year_dir', help='e.g. data/VOCdevkit/VOC2007')
    parser.add_argument('out_dir')
    parser.add_argument(
        '--splits',
        nargs='+',
        help='ImageSets/Main lists to convert (default: those of '
        f'{", ".join(SPLITS)} that exist)')
    parser.add_argument('--classes', nargs='+', help='class names in order')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace instances_{split}.json files already in OUT_DIR')
    args = parser.parse_args()
    main_dir = osp.join(args.year_dir, 'ImageSets', 'Main')
    splits = args.splits or [
        s for s in SPLITS if osp.isfile(osp.join(main_dir, f'{s}.txt'))
    ]
    missing = [
        s for s in splits if not osp.isfile(osp.join(main_dir, f'{s}.txt'))
    ]
    if not splits or missing:
        sys.exit(f'{main_dir}: no list {", ".join(missing or SPLITS)}.txt')
    meta = resolve_classes(
        dict(classes=args.classes) if args.classes else None,
        osp.dirname(osp.abspath(args.year_dir)),
        [osp.basename(osp.abspath(args.year_dir))])
    if 'classes' not in meta:
        from mmdet.datasets import VOCDataset
        meta['classes'] = VOCDataset.METAINFO['classes']
    outs = [
        osp.join(args.out_dir, 'annotations', f'instances_{split}.json')
        for split in splits
    ]
    # they may be a labelling tool's export, not an earlier conversion
    existing = [out for out in outs if osp.exists(out)]
    if existing and not args.overwrite:
        sys.exit(f'{", ".join(existing)} already exist'
                 f'{"s" if len(existing) == 1 else ""} and would be replaced; '
                 'choose another OUT_DIR, or add --overwrite')
    images = osp.join(args.out_dir, 'images')
    target = osp.abspath(osp.join(args.year_dir, 'JPEGImages'))
    os.makedirs(osp.join(args.out_dir, 'annotations'), exist_ok=True)
    if not osp.lexists(images):
        os.symlink(target, images)
    elif osp.realpath(images) != osp.realpath(target):
        sys.exit(f'{images} exists and is not a link to {target}')
    for split, out in zip(splits, outs):
        voc_to_coco(args.year_dir, split, meta['classes'], out)
        print(f'{split}: {out}')
    print(f'{len(meta["classes"])} classes: {", ".join(meta["classes"])}; '
          f'images: {images} -> {target}')


if __name__ == '__main__':
    main()
