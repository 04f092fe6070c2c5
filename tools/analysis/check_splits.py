# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Check a VOC-layout folder's split lists: no image shared between training
and held-out lists (by id, or by image content), trainval = train + val.

    python tools/analysis/check_splits.py data/VOCdevkit/VOC2007

Exits 1 when lists overlap (the datasets would refuse them), else 0.
"""
import argparse
import glob
import os.path as osp
import re
import sys

from lodaa_plugin.datasets.split_health import check_split_health
from lodaa_plugin.datasets.voc_xml import VOCAnnotationError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'year_root', help='the folder holding ImageSets/Main and JPEGImages')
    args = parser.parse_args()
    main_dir = osp.join(args.year_root, 'ImageSets', 'Main')
    lists = sorted(
        p for p in glob.glob(osp.join(main_dir, '*.txt'))
        if osp.basename(p)[:-4] in ('train', 'val', 'trainval', 'test'))
    if not lists:
        sys.exit(f'no train/val/trainval/test list in {main_dir}')
    problems = []
    for path in lists:
        try:
            check_split_health(
                path,
                lambda i: osp.join(args.year_root, 'JPEGImages', f'{i}.jpg'))
        except VOCAnnotationError as error:
            # the problem lines only, each pair once (both lists report it)
            for line in str(error).splitlines()[1:]:
                pair = frozenset(re.findall(r'\S+\.txt', line))
                if line.startswith('  ') and pair not in {
                        p
                        for p, _ in problems
                }:
                    problems.append((pair, line.strip()))
    for _, line in problems:
        print(line)
    print(f'{len(lists)} lists checked in {main_dir}: {len(problems)} '
          'pair(s) share images' +
          ('' if osp.isdir(osp.join(args.year_root, 'JPEGImages')) else
           ' (by id only: no JPEGImages/ to compare contents)'))
    return int(bool(problems))


if __name__ == '__main__':
    sys.exit(main())
