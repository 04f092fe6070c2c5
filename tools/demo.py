# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""`make demo`: LODAA's three parts end to end on a CPU, offline.

Generates the embedded synthetic VOC-layout dataset (five shape classes) and,
on it, with every network starting from RANDOM weights (nothing downloads):

- detection: scores the untrained FCOS, trains it (bf16 autocast on CPUs
  with native bf16, fp32 otherwise: ``--precision``), evaluates it; writes
  ``metrics.json``, ``losses.png``, ``detections.png`` and
  ``detections/*.png``;
- classification: the simple CNN and ResNet18 (every layer trained), plus a
  linear probe on a frozen random ResNet18 as a baseline; each scored
  untrained and trained (multi-label mAP and per-class AP);
- the t-SNE view of the trained ResNet18's features, coloured by class
  (``tsne.png``).

``summary.md`` and ``summary.json`` in the work dir hold every number with
links to the pictures; the terminal shows the same summary.

    python tools/demo.py [--part all|detection|classification] \\
        [--work-dir work_dirs/demo] [--iters N] [--epochs N] \
        [--precision auto|fp32|bf16]
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import lodaa_plugin
from lodaa_plugin.apis import (draw_prediction_file, extract_features,
                               predict_images)
from lodaa_plugin.compat import cpu_has_native_bf16, enable_compat
from lodaa_plugin.utils.cli_args import (fraction, non_negative_int,
                                         positive_int)
from lodaa_plugin.utils.config_edits import enable_amp, set_max_iters
from lodaa_plugin.visualization import (embed_tsne, find_scalars_file,
                                        plot_losses, plot_tsne,
                                        save_detection_grid)

# the harness and the synthetic data live in the checkout (projects/)
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
from projects.benchmarks.timing import describe_machine
from projects.synthetic_voc import (DEMO_SEED, DEMO_TEST, DEMO_TRAINVAL,
                                    ensure_synthetic_voc)

CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
DETECTION_CONFIG = osp.join(CONFIG_DIR, 'demo', 'fcos_synthetic_demo.py')
# (name, config, what it is)
CLASSIFIERS = (
    ('simple_cnn', 'simple_cnn_synthetic_demo.py',
     'simple CNN, 64x64, trained from scratch'),
    ('resnet18', 'resnet18_synthetic_demo.py',
     'ResNet18, every layer trained from random weights'),
    ('resnet18_probe', 'resnet18_probe_synthetic_demo.py',
     'baseline: linear probe on a frozen RANDOM ResNet18 (the recipe '
     'freezes ImageNet weights, which the demo cannot download)'),
)
NUM_DRAWN = 8


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='LODAA demo on a CPU')
    parser.add_argument(
        '--part',
        choices=['all', 'detection', 'classification'],
        default='all',
        help='which part of LODAA to show')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--iters', type=positive_int, help='detection training iterations')
    parser.add_argument(
        '--epochs',
        type=positive_int,
        help='classification epochs (every model)')
    parser.add_argument('--trainval', type=positive_int, default=DEMO_TRAINVAL)
    parser.add_argument('--test', type=non_negative_int, default=DEMO_TEST)
    parser.add_argument(
        '--seed', type=int, default=DEMO_SEED, help='data seed')
    parser.add_argument(
        '--score-thr', type=fraction, default=0.4, help='lowest score drawn')
    parser.add_argument(
        '--precision',
        choices=['auto', 'fp32', 'bf16'],
        default='auto',
        help='detection training precision; auto: bf16 autocast when the '
        'CPU runs bf16 natively (AMX or AVX-512 BF16), fp32 otherwise')
    return parser.parse_args()


def choose_precision(requested: str) -> Tuple[str, str]:
    """Pick the detection training precision and say why.

    Args:
        requested (str): ``'auto'``, ``'fp32'`` or ``'bf16'``.

    Returns:
        tuple[str, str]: ``'fp32'`` or ``'bf16'``, and the reason.
    """
    if requested != 'auto':
        return requested, f'--precision {requested}'
    if torch.cuda.is_available():
        return 'fp32', 'a GPU is present (fp16 there: tools/train.py --amp)'
    feature = cpu_has_native_bf16()
    if feature:
        return 'bf16', f'this CPU runs bf16 natively ({feature})'
    return 'fp32', 'this CPU has no native bf16 (no AMX, no AVX-512 BF16)'


def _data(args: argparse.Namespace) -> str:
    """Generate the synthetic dataset once per seed and size."""
    return ensure_synthetic_voc(
        osp.join(args.work_dir, 'data'), args.trainval, args.test, args.seed)


def _runner(cfg: Config, name: str) -> Runner:
    cfg = cfg.copy()
    cfg.experiment_name = name
    # visualizers are named singletons: one per runner, or the second
    # runner's scalars land in the first one's folder
    cfg.visualizer.name = f'visualizer_{name}'
    return Runner.from_cfg(cfg)


def run_detection(args: argparse.Namespace, data_root: str,
                  precision: str) -> dict:
    """Score, train and evaluate FCOS; draw its losses and detections.

    Args:
        args (argparse.Namespace): The demo's arguments.
        data_root (str): The synthetic ``VOCdevkit/``.
        precision (str): ``'fp32'`` or ``'bf16'`` (autocast) training.

    Returns:
        dict: mAP (both definitions), the untrained mAP, per-class AP,
        iterations, precision, seconds and the pictures written.
    """
    cfg = Config.fromfile(DETECTION_CONFIG)
    cfg.work_dir = args.work_dir
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    if args.iters:
        set_max_iters(cfg, args.iters)
    if precision == 'bf16':
        enable_amp(cfg, 'bfloat16')
    iters = cfg.train_cfg.max_iters
    # the untrained model's score shows the task is not trivial
    print('[demo] detection: scoring the untrained FCOS on the test split')
    untrained = _runner(cfg, 'untrained').test()
    print(f'[demo] detection: training FCOS for {iters} iterations '
          f'({precision})')
    started = time.time()
    runner = _runner(cfg, 'train')
    runner.train()
    seconds = time.time() - started
    metrics = runner.test()
    result = dict(
        metric='VOC mAP at IoU 0.5 (mAP: VOC07 11-point; also area)',
        mAP=metrics['pascal_voc/mAP'],
        mAP_11points=metrics['pascal_voc/mAP_11points'],
        mAP_area=metrics['pascal_voc/mAP_area'],
        untrained_mAP=untrained['pascal_voc/mAP'],
        per_class=runner.test_evaluator.metrics[0].per_class,
        iterations=iters,
        precision=precision,
        train_seconds=round(seconds, 1),
        pictures=['losses.png', 'detections.png'])
    with open(osp.join(args.work_dir, 'metrics.json'), 'w') as f:
        json.dump(result, f, indent=1)
    plot_losses(
        find_scalars_file(runner.log_dir),
        osp.join(args.work_dir, 'losses.png'),
        title=f'FCOS on synthetic VOC, {iters} iterations')
    _draw_detections(args, runner, cfg)
    return result


def _draw_detections(args: argparse.Namespace, runner: Runner,
                     cfg: Config) -> None:
    """Draw predicted (coloured) and true (white) boxes on test images."""
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


def run_classification(args: argparse.Namespace, data_root: str) -> dict:
    """Score, train and evaluate each classifier; draw the t-SNE view.

    Args:
        args (argparse.Namespace): The demo's arguments.
        data_root (str): The synthetic ``VOCdevkit/``.

    Returns:
        dict: Per classifier its description, mAP, untrained mAP, per-class
        AP, epochs and seconds; and the t-SNE picture.
    """
    year = osp.join(data_root, 'VOC2007')
    results: Dict[str, dict] = {}
    trained: Dict[str, Runner] = {}
    for name, config, what in CLASSIFIERS:
        cfg = Config.fromfile(osp.join(CONFIG_DIR, 'demo', config))
        cfg.work_dir = osp.join(args.work_dir, 'classification', name)
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            cfg[loader].dataset.data_root = year
        if args.epochs:
            cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = \
                args.epochs
        print(f'[demo] classification: {name} ({what})')
        untrained = _runner(cfg, f'{name}_untrained').test()
        started = time.time()
        runner = _runner(cfg, name)
        runner.train()
        seconds = time.time() - started
        metrics = runner.test()
        classes = runner.test_dataloader.dataset.metainfo['classes']
        results[name] = dict(
            model=what,
            mAP=metrics['multi-label/mAP'],
            untrained_mAP=untrained['multi-label/mAP'],
            per_class=dict(zip(classes, metrics['multi-label/AP_classwise'])),
            epochs=cfg.train_cfg.max_epochs,
            train_seconds=round(seconds, 1))
        trained[name] = runner
    results['tsne'] = _draw_tsne(args, trained['resnet18'])
    return results


def _draw_tsne(args: argparse.Namespace, runner: Runner) -> str:
    """Draw the t-SNE of a trained classifier's test features."""
    print('[demo] t-SNE of the trained ResNet18 features (test split)')
    model = runner.model.eval()
    dataset = runner.test_dataloader.dataset
    feats, labels, _ = extract_features(
        model, dataset, range(len(dataset)), batch_size=32, progress=False)
    embedding = embed_tsne(feats, seed=0)
    plot_tsne(
        embedding,
        labels,
        dataset.metainfo['classes'],
        osp.join(args.work_dir, 'tsne.png'),
        title=f'ResNet18 features of {len(feats)} synthetic test images '
        '(t-SNE)')
    return 'tsne.png'


def summary_markdown(summary: dict) -> str:
    """Write the demo's numbers as Markdown, with links to its pictures.

    Args:
        summary (dict): What :func:`main` collected.

    Returns:
        str: The Markdown text.
    """
    lines: List[str] = [
        '# LODAA demo', '',
        f'{summary["note"]}. Machine: {summary["machine"]}. Total '
        f'{summary["total_seconds"]:.0f} s.', ''
    ]
    det = summary.get('detection')
    if det:
        lines += [
            '## Detection (FCOS, RegNetX-400MF)', '',
            f'{det["iterations"]} iterations in {det["train_seconds"]:.0f} s, '
            f'{det.get("precision", "fp32")} training '
            f'({det.get("precision_reason", "")}). '
            f'{det["metric"]}.', '', '| | trained | untrained |',
            '| --- | --- | --- |',
            f'| mAP VOC07 11-point | {det["mAP_11points"]:.3f} | '
            f'{det["untrained_mAP"]:.3f} |',
            f'| mAP area | {det["mAP_area"]:.3f} | |', '',
            '| class | AP | objects |', '| --- | --- | --- |'
        ]
        lines += [
            f'| {name} | {row["ap"]:.3f} | {row["num_gts"]} |'
            for name, row in det['per_class'].items()
        ]
        lines += [
            '', '![losses](losses.png)', '', '![detections](detections.png)',
            ''
        ]
    cls = summary.get('classification')
    if cls:
        models = [k for k in cls if k != 'tsne']
        classes = list(cls[models[0]]['per_class'])
        lines += [
            '## Multi-label classification', '',
            'multi-label mAP (percent): mean VOC AP of the classes with a '
            'positive test image.', '',
            '| model | epochs | seconds | mAP trained | mAP untrained | ' +
            ' | '.join(classes) + ' |', '|' + ' --- |' * (5 + len(classes))
        ]
        for name in models:
            row = cls[name]
            aps = ' | '.join(f'{row["per_class"][c]:.1f}' for c in classes)
            lines.append(f'| {name}: {row["model"]} | {row["epochs"]} | '
                         f'{row["train_seconds"]:.0f} | {row["mAP"]:.1f} | '
                         f'{row["untrained_mAP"]:.1f} | {aps} |')
        lines += [
            '', '## Features: t-SNE of the trained ResNet18', '',
            f'![t-SNE]({cls["tsne"]})', ''
        ]
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    enable_compat()
    started = time.time()
    data_root = _data(args)
    summary = dict(
        note=(f'Synthetic data (tools/make_synthetic_voc.py, seed '
              f'{args.seed}, {args.trainval} trainval + {args.test} test '
              'images); every network starts from random weights'),
        machine=f'{describe_machine()}, lodaa_plugin '
        f'{lodaa_plugin.__version__}')
    if args.part in ('all', 'detection'):
        precision, why = choose_precision(args.precision)
        print(f'[demo] detection trains in {precision}: {why}')
        summary['detection'] = run_detection(args, data_root, precision)
        summary['detection']['precision_reason'] = why
    if args.part in ('all', 'classification'):
        summary['classification'] = run_classification(args, data_root)
    summary['total_seconds'] = round(time.time() - started, 1)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    text = summary_markdown(summary)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(text)
    print('\n' + text)
    print(f'\n[demo] written to {args.work_dir}/: summary.md, summary.json '
          'and the pictures it links')


if __name__ == '__main__':
    main()
