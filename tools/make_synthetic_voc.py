# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Write LODAA's synthetic VOC-layout detection dataset.

    python tools/make_synthetic_voc.py work_dirs/demo/data --trainval 800 \
        --test 200 --seed 0
    # the second comparison set: 8 shapes, smaller objects, more overlap
    python tools/make_synthetic_voc.py work_dirs/synth_b/data --seed 1 \
        --classes ellipse rectangle triangle cross ring diamond star hexagon \
        --max-objects 10 --object-scale 0.05 0.3
    # large images with small objects (sliced inference): 1024², 8-40 px
    python tools/make_synthetic_voc.py work_dirs/small_objects/large \
        --trainval 1 --test 40 --seed 1 --size 1024 1024 \
        --object-pixels 8 40 --max-objects 60
"""
import argparse
import os
import os.path as osp
import sys

from lodaa_plugin.utils.cli_args import non_negative_int, positive_int

# the synthetic generator lives in the checkout (projects/), not in the
# package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
from projects.synthetic_voc import (OBJECT_SCALE, SYNTHETIC_CLASSES,
                                    SYNTHETIC_SHAPES, check_settings,
                                    make_synthetic_voc)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic PASCAL VOC-layout dataset')
    parser.add_argument(
        'out_dir', help='data goes to OUT_DIR/VOCdevkit/VOC2007')
    parser.add_argument('--trainval', type=positive_int, default=800)
    parser.add_argument('--test', type=non_negative_int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--size',
        type=positive_int,
        nargs=2,
        default=(128, 128),
        metavar=('W', 'H'))
    parser.add_argument(
        '--classes',
        nargs='+',
        default=SYNTHETIC_CLASSES,
        help=f'shapes, from {" ".join(SYNTHETIC_SHAPES)}')
    parser.add_argument('--max-objects', type=positive_int, default=4)
    parser.add_argument(
        '--object-scale',
        type=float,
        nargs=2,
        default=OBJECT_SCALE,
        metavar=('MIN', 'MAX'),
        help='object side over the short image side, drawn log-uniformly')
    parser.add_argument(
        '--object-pixels',
        type=positive_int,
        nargs=2,
        metavar=('MIN', 'MAX'),
        help='object side in pixels instead (sets --object-scale from '
        'the short image side), e.g. 8 40 for small objects')
    parser.add_argument(
        '--coco',
        action='store_true',
        help='also write OUT_DIR/annotations/instances_{trainval,test}.json')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='write into an OUT_DIR that already holds a VOC2007 folder')
    args = parser.parse_args()
    if args.object_pixels:
        short = min(args.size)
        args.object_scale = tuple(p / short for p in args.object_pixels)
    return args


def main() -> None:
    args = parse_args()
    year = osp.join(args.out_dir, 'VOCdevkit', 'VOC2007')
    if osp.isdir(year) and os.listdir(year) and not args.overwrite:
        raise SystemExit(
            f'{year} exists and is not empty: its images, annotations and '
            'split lists would be overwritten. Choose another OUT_DIR, or '
            'add --overwrite')
    try:
        check_settings(args.classes, args.max_objects, args.object_scale)
    except ValueError as error:
        raise SystemExit(f'make_synthetic_voc.py: {error}')
    root = make_synthetic_voc(
        args.out_dir,
        args.trainval,
        args.test,
        args.seed,
        tuple(args.size),
        args.classes,
        args.max_objects,
        tuple(args.object_scale),
        coco=args.coco)
    print(f'data_root={root}/ (VOC2007/ImageSets/Main/trainval.txt, '
          'test.txt, VOC2007/classes.txt)')
    if args.coco:
        print(f'COCO JSON: {osp.join(args.out_dir, "annotations")}/'
              'instances_{trainval,test}.json, file names relative to '
              f'{args.out_dir}')


if __name__ == '__main__':
    main()
