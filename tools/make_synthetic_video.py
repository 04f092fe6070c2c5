# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Write a synthetic video with known identities (the demo's shapes moving,
crossing and leaving the frame) and its true tracks in MOTChallenge text.

    python tools/make_synthetic_video.py work_dirs/tracks --frames 60 \
        --size 256 256 --objects 6 --object-pixels 16 36
"""
import argparse
import os
import os.path as osp
import sys

from lodaa_plugin.utils.cli_args import positive_int

# the generator lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
from projects.synthetic_video import make_synthetic_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='clip.avi and gt.txt go here')
    parser.add_argument('--frames', type=positive_int, default=60)
    parser.add_argument(
        '--size',
        type=positive_int,
        nargs=2,
        default=(256, 256),
        metavar=('W', 'H'))
    parser.add_argument('--objects', type=positive_int, default=6)
    parser.add_argument(
        '--object-pixels',
        type=positive_int,
        nargs=2,
        default=(16, 36),
        metavar=('MIN', 'MAX'))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    video = osp.join(args.out_dir, 'clip.avi')
    gt = osp.join(args.out_dir, 'gt.txt')
    lines = make_synthetic_video(
        video,
        gt,
        args.frames,
        tuple(args.size),
        args.objects,
        tuple(args.object_pixels),
        seed=args.seed)
    print(f'{video}: {args.frames} frames; {gt}: {len(lines)} true boxes '
          f'of {args.objects} tracks')


if __name__ == '__main__':
    main()
