# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""`make demo`: LODAA end to end on a CPU in minutes.

Generates the embedded synthetic VOC-layout dataset, scores the untrained
detector on its test split, trains FCOS (RegNetX-400MF from random weights:
no download), evaluates it, and leaves in the work dir:

- ``metrics.json``: mAP (VOC07 11-point and area, IoU 0.5), per-class AP,
  the untrained model's mAP, iterations and wall time,
- ``losses.png``: classification, box, centerness and total loss curves,
- ``detections.png`` and ``detections/*.png``: test images with predicted
  (coloured, with scores) and true (white) boxes.

    python tools/demo.py [--work-dir work_dirs/demo] [--iters N]
"""
import argparse
import json
import os
import os.path as osp
import platform
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import lodaa_plugin
from lodaa_plugin.apis import draw_prediction_file, predict_images
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.testing.synthetic_voc import make_synthetic_voc
from lodaa_plugin.visualization import (find_scalars_file, plot_losses,
                                        save_detection_grid)

CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
    'fcos_synthetic_demo.py')
NUM_TRAINVAL, NUM_TEST, SEED = 800, 200, 0
NUM_DRAWN = 8


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='LODAA demo on a CPU')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int, help='training iterations')
    parser.add_argument('--seed', type=int, default=SEED, help='data seed')
    parser.add_argument(
        '--score-thr', type=float, default=0.4, help='lowest score drawn')
    return parser.parse_args()


def _data(work_dir: str, seed: int) -> str:
    """The synthetic dataset, generated once per seed."""
    out = osp.join(work_dir, 'data')
    stamp = osp.join(out, f'.complete-seed{seed}-{NUM_TRAINVAL}-{NUM_TEST}')
    root = osp.join(out, 'VOCdevkit')
    if not osp.isfile(stamp):
        print(f'[demo] generating {NUM_TRAINVAL}+{NUM_TEST} synthetic images '
              f'in {out}')
        make_synthetic_voc(out, NUM_TRAINVAL, NUM_TEST, seed)
        open(stamp, 'w').close()
    return root + '/'


def _runner(cfg: Config, name: str) -> Runner:
    cfg = cfg.copy()
    cfg.experiment_name = name
    # visualizers are named singletons: one per runner, or the second
    # runner's scalars land in the first one's folder
    cfg.visualizer.name = f'visualizer_{name}'
    return Runner.from_cfg(cfg)


def main() -> None:
    args = parse_args()
    enable_compat()
    started = time.time()
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = args.work_dir
    data_root = _data(args.work_dir, args.seed)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    if args.iters:
        cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = args.iters
        cfg.default_hooks.checkpoint.interval = args.iters
        cfg.param_scheduler[1].end = args.iters
        cfg.param_scheduler[1].milestones = [
            int(args.iters * 0.75),
            int(args.iters * 0.9)
        ]
    iters = cfg.train_cfg.max_iters
    # the untrained model's score shows the task is not trivial
    print('[demo] scoring the untrained model on the test split')
    untrained = _runner(cfg, 'untrained').test()

    print(f'[demo] training FCOS for {iters} iterations on the CPU')
    train_started = time.time()
    runner = _runner(cfg, 'train')
    runner.train()
    train_seconds = time.time() - train_started
    metrics = runner.test()
    per_class = runner.test_evaluator.metrics[0].per_class

    summary = dict(
        note=('synthetic data (tools/make_synthetic_voc.py, seed '
              f'{args.seed}); backbone from random weights'),
        metric='VOC mAP at IoU 0.5 (mAP: VOC07 11-point; also area)',
        mAP=metrics['pascal_voc/mAP'],
        mAP_11points=metrics['pascal_voc/mAP_11points'],
        mAP_area=metrics['pascal_voc/mAP_area'],
        untrained_mAP=untrained['pascal_voc/mAP'],
        per_class=per_class,
        iterations=iters,
        train_seconds=round(train_seconds, 1),
        total_seconds=round(time.time() - started, 1),
        machine=f'{platform.machine()}, {os.cpu_count()} CPU cores, torch '
        f'{torch.__version__}, lodaa_plugin {lodaa_plugin.__version__}')
    with open(osp.join(args.work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=1)

    plot_losses(
        find_scalars_file(runner.log_dir),
        osp.join(args.work_dir, 'losses.png'),
        title=f'FCOS on synthetic VOC, {iters} iterations')

    model = runner.model
    model.cfg = cfg
    dataset = runner.test_dataloader.dataset
    classes = dataset.metainfo['classes']
    drawn_dir = osp.join(args.work_dir, 'detections')
    os.makedirs(drawn_dir, exist_ok=True)
    infos = [dataset.get_data_info(i) for i in range(NUM_DRAWN)]
    preds = predict_images(model, [info['img_path'] for info in infos])
    drawn = []
    for info, pred in zip(infos, preds):
        gt = [inst for inst in info['instances'] if not inst['ignore_flag']]
        img = draw_prediction_file(
            info['img_path'],
            pred,
            classes,
            args.score_thr,
            gt_boxes=np.array([g['bbox'] for g in gt]).reshape(-1, 4),
            gt_labels=[g['bbox_label'] for g in gt],
            scale=2)
        img.save(osp.join(drawn_dir, f'{info["img_id"]}.png'))
        drawn.append(img)
    save_detection_grid(drawn, osp.join(args.work_dir, 'detections.png'))

    print('\n[demo] done in {:.0f} s (training {:.0f} s)'.format(
        summary['total_seconds'], train_seconds))
    print(f'  mAP@0.5 VOC07 11-point: {summary["mAP_11points"]:.3f}   '
          f'area: {summary["mAP_area"]:.3f}   untrained: '
          f'{summary["untrained_mAP"]:.3f}')
    for name, row in per_class.items():
        print(f'  {name:<12} AP {row["ap"]:.3f}  ({row["num_gts"]} objects)')
    print(f'  results: {args.work_dir}/metrics.json, losses.png, '
          'detections.png')


if __name__ == '__main__':
    main()
