# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Epoch time of the linear probe with and without cached features, side by
side in one process on the same data.

    python tools/analysis/benchmark_linear_probe.py \
        --data-root tests/data/voc2007_sample/VOCdevkit/VOC2007 --epochs 3
"""
import argparse
import json
import os
import platform
import statistics
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner

import lodaa_plugin  # noqa: F401

CONFIG = 'configs/classification/resnet18_linear_probe_voc07.py'


def _runner(cfg: Config, loop: str, work_dir: str) -> Runner:
    cfg = cfg.copy()
    cfg.train_cfg.type = loop
    cfg.work_dir = work_dir
    cfg.experiment_name = loop
    return Runner.from_cfg(cfg)


def _epoch_times(runner: Runner, epochs: int) -> list:
    loop = runner.train_loop
    runner.call_hook('before_run')
    runner.load_or_resume()
    runner.call_hook('before_train')
    if hasattr(loop, 'build_cache'):
        started = time.perf_counter()
        loop.build_cache()
        runner.cache_seconds = time.perf_counter() - started
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        loop.run_epoch()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', required=True,
                        help='a VOC year folder (…/VOCdevkit/VOC2007)')
    parser.add_argument('--split', default='trainval')
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--out', help='write the results as JSON here')
    args = parser.parse_args()

    cfg = Config.fromfile(CONFIG)
    # random weights: speed does not depend on them, and none download here
    cfg.model.backbone.init_cfg = None
    cfg.train_dataloader.update(
        batch_size=args.batch_size, num_workers=args.workers,
        persistent_workers=args.workers > 0)
    cfg.train_dataloader.dataset.update(data_root=args.data_root,
                                        split=args.split)
    cfg.default_hooks.logger.interval = 10**6
    cfg.default_hooks.checkpoint = None
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.train_cfg.max_epochs = args.epochs
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for loop in ('EpochBasedTrainLoop', 'CachedFeatureTrainLoop'):
            runner = _runner(cfg, loop, os.path.join(tmp, loop))
            times = _epoch_times(runner, args.epochs)
            results[loop] = dict(
                epoch_seconds=[round(t, 3) for t in times],
                median_epoch_seconds=round(statistics.median(times), 3),
                cache_seconds=round(getattr(runner, 'cache_seconds', 0.), 3))
    images = len(runner.train_dataloader.dataset)
    speedup = results['EpochBasedTrainLoop']['median_epoch_seconds'] / \
        results['CachedFeatureTrainLoop']['median_epoch_seconds']
    summary = dict(
        images=images, batch_size=args.batch_size, workers=args.workers,
        machine=f'{platform.machine()}, {os.cpu_count()} CPU cores, torch '
        f'{torch.__version__}, {torch.get_num_threads()} threads',
        results=results, speedup=round(speedup, 1))
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
