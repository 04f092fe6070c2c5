# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Epoch time of the linear probe with and without cached features, side by
side in one process on the same data.

    python tools/analysis/benchmark_linear_probe.py \
        --data-root tests/data/voc2007_sample/VOCdevkit/VOC2007 --epochs 3
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Tuple

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.cli_args import (non_negative_int, positive_int,
                                         prepare_output_file)
from lodaa_plugin.utils.config_loading import read_config

# the benchmark harness lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks.timing import describe_machine, timed

CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    'resnet18', 'resnet18_linear-probe_1xb64-50e_voc07.py')


def _runner(cfg: Config, loop: str, work_dir: str) -> Runner:
    cfg = cfg.copy()
    cfg.train_cfg.type = loop
    cfg.work_dir = work_dir
    cfg.experiment_name = loop
    return Runner.from_cfg(cfg)


class EpochTimer(Hook):
    """Wall time of every training epoch."""

    def __init__(self) -> None:
        self.times = []

    def before_train_epoch(self, runner) -> None:
        self.started = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        self.times.append(time.perf_counter() - self.started)


def _epoch_times(runner: Runner) -> Tuple[list, float]:
    """Train; return the epoch times and the feature-cache build time."""
    timer = EpochTimer()
    runner.register_hook(timer, priority='VERY_LOW')
    loop = runner.train_loop
    cache_seconds = [0.]
    if hasattr(loop, 'build_cache'):
        build = loop.build_cache

        def timed_build() -> None:
            cache_seconds[0] = timed(build)

        loop.build_cache = timed_build
    runner.train()
    return timer.times, cache_seconds[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--data-root',
        required=True,
        help='a VOC year folder (…/VOCdevkit/VOC2007)')
    parser.add_argument('--split', default='trainval')
    parser.add_argument(
        '--config', default=CONFIG, help='a linear-probe config')
    parser.add_argument('--epochs', type=positive_int, default=3)
    parser.add_argument('--batch-size', type=positive_int, default=16)
    parser.add_argument('--workers', type=non_negative_int, default=2)
    parser.add_argument('--out', help='write the results as JSON here')
    args = parser.parse_args()
    prepare_output_file(parser, args.out, [args.config])
    enable_compat()

    cfg = read_config(args.config)
    # random weights: speed does not depend on them, and none download here
    cfg.model.backbone.init_cfg = None
    cfg.train_dataloader.update(
        batch_size=args.batch_size,
        num_workers=args.workers,
        persistent_workers=args.workers > 0)
    cfg.train_dataloader.dataset.update(
        data_root=args.data_root, split=args.split)
    cfg.default_hooks.logger.interval = 10**6
    cfg.default_hooks.checkpoint = None
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.train_cfg.max_epochs = args.epochs
    from lodaa_plugin.datasets import LodaaVOCClsDataset
    classes = LodaaVOCClsDataset(
        data_root=args.data_root, split=args.split).metainfo['classes']
    cfg.model.head.num_classes = len(classes)
    cfg.data_preprocessor.num_classes = len(classes)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for loop in ('EpochBasedTrainLoop', 'CachedFeatureTrainLoop'):
            runner = _runner(cfg, loop, os.path.join(tmp, loop))
            times, cache_seconds = _epoch_times(runner)
            results[loop] = dict(
                epoch_seconds=[round(t, 3) for t in times],
                median_epoch_seconds=round(statistics.median(times), 3),
                cache_seconds=round(cache_seconds, 3))
    images = len(runner.train_dataloader.dataset)
    speedup = results['EpochBasedTrainLoop']['median_epoch_seconds'] / \
        results['CachedFeatureTrainLoop']['median_epoch_seconds']
    summary = dict(
        images=images,
        batch_size=args.batch_size,
        workers=args.workers,
        machine=describe_machine(),
        results=results,
        speedup=round(speedup, 1))
    print(f'{images} images, batch {args.batch_size}, {args.workers} '
          f'workers, {summary["machine"]}')
    print(f'{"loop":<24} {"median epoch s":>15} {"cache build s":>14}')
    for loop, r in results.items():
        print(f'{loop:<24} {r["median_epoch_seconds"]:>15.3f} '
              f'{r["cache_seconds"]:>14.3f}')
    print(f'cached epochs are {speedup:.1f}x faster')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=1)


if __name__ == '__main__':
    main()
