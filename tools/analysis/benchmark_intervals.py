# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""What the bootstrap intervals cost next to the metric itself.

Random detections (synthetic: no model) on a VOC07-test-sized set, 20
classes, about 2.4 objects per image as VOC07 test has, ``--dets`` per
image (FCOS keeps up to 100): a share of the objects found with jittered
boxes and higher scores, the rest of the detections anywhere. Times
``LodaaVOCMetric`` without intervals (mmdet's ``eval_map`` for both AP
definitions and pycocotools' COCO AP) and then the intervals of its five
mAPs and every class's AP from the same matching.

    python tools/analysis/benchmark_intervals.py
    python tools/analysis/benchmark_intervals.py --images 4952 \
        --dets 100 --resamples 1000
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.cli_args import positive_int

# the benchmark harness lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks.timing import describe_machine

CLASSES = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=positive_int, default=5000)
    parser.add_argument(
        '--dets',
        type=positive_int,
        default=100,
        help='detections per image (default 100)')
    parser.add_argument('--resamples', type=positive_int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def random_pairs(images: int, dets: int, seed: int) -> list:
    """``(annotation, detections)`` per image as mmdet's VOCMetric keeps
    them.

    Args:
        images (int): Images.
        dets (int): Detections per image.
        seed (int): Seed.

    Returns:
        list[tuple]: Per image its annotation and per-class detections.
    """
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(images):
        k = max(1, rng.poisson(2.4))
        xy = rng.uniform(0, 400, (k, 2))
        boxes = np.hstack([xy, xy + rng.uniform(20, 200, (k, 2))])
        labels = rng.integers(0, CLASSES, k)
        difficult = rng.random(k) < 0.1
        found = rng.random(k) < 0.7
        rest = max(0, dets - int(found.sum()))
        fxy = rng.uniform(0, 400, (rest, 2))
        det_boxes = np.vstack([
            boxes[found] + rng.normal(0, 8, (found.sum(), 4)),
            np.hstack([fxy, fxy + rng.uniform(20, 200, (rest, 2))])
        ])
        det_labels = np.concatenate(
            [labels[found], rng.integers(0, CLASSES, rest)])
        scores = np.concatenate(
            [rng.beta(4, 2, found.sum()),
             rng.beta(1, 6, rest)])
        ann = dict(
            bboxes=boxes[~difficult].astype(np.float32),
            labels=labels[~difficult],
            bboxes_ignore=boxes[difficult].astype(np.float32),
            labels_ignore=labels[difficult])
        per_class = [
            np.hstack(
                [det_boxes[det_labels == c], scores[det_labels == c,
                                                    None]]).astype(np.float32)
            for c in range(CLASSES)
        ]
        pairs.append((ann, per_class))
    return pairs


def main() -> None:
    args = parse_args()
    enable_compat()
    from mmengine.logging import MMLogger

    from lodaa_plugin.evaluation.metrics import LodaaVOCMetric
    from lodaa_plugin.evaluation.metrics.bootstrap import bootstrap_intervals
    MMLogger.get_instance('benchmark_intervals', log_level='WARNING')
    print(describe_machine())
    pairs = random_pairs(args.images, args.dets, args.seed)
    metric = LodaaVOCMetric(eval_mode='11points', interval=None)
    metric.dataset_meta = dict(classes=[f'c{i}' for i in range(CLASSES)])
    start = time.perf_counter()
    values = metric.compute_metrics(pairs)
    metric_seconds = time.perf_counter() - start
    start = time.perf_counter()
    intervals = bootstrap_intervals(
        metric.sources, args.images, resamples=args.resamples, seed=args.seed)
    interval_seconds = time.perf_counter() - start
    print(f'{args.images} images, {args.dets} random detections each '
          f'(synthetic), {CLASSES} classes; {args.resamples} resamples')
    for key, value in intervals.items():
        low, high = value['mean']
        print(f'  {key}: {values[key]:.4f} [{low:.4f}, {high:.4f}]')
    print(f'LodaaVOCMetric without intervals (eval_map x2, pycocotools): '
          f'{metric_seconds:.1f} s')
    print(f'intervals of the 5 mAPs and {CLASSES} classes each: '
          f'{interval_seconds:.1f} s = {interval_seconds / metric_seconds:.0%}'
          ' of the metric (inference, the bulk of tools/test.py, not '
          'counted)')


if __name__ == '__main__':
    main()
