# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Score tracks (``video_demo.py --track``'s MOTChallenge text) against
true tracks with ``trackeval``: HOTA, MOTA, IDF1 and identity switches.

    python tools/analysis/score_tracks.py work_dirs/tracks/gt.txt \
        work_dirs/tracks/tracked.txt
"""
import argparse
import os.path as osp
import sys

# the scoring lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks.track_scores import track_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('gt', help='true tracks (MOTChallenge text)')
    parser.add_argument('tracks', help='predicted tracks (MOTChallenge text)')
    args = parser.parse_args()
    for path in (args.gt, args.tracks):
        if not osp.isfile(path):
            raise SystemExit(f'{path}: no such file')
    scores = track_scores(args.gt, args.tracks)
    print(f'HOTA {scores["HOTA"]:.3f}  MOTA {scores["MOTA"]:.3f}  '
          f'IDF1 {scores["IDF1"]:.3f}  identity switches {scores["IDSW"]}  '
          f'({scores["frames"]} frames, {scores["gt_ids"]} true tracks, '
          f'{scores["tracker_ids"]} predicted)')


if __name__ == '__main__':
    main()
