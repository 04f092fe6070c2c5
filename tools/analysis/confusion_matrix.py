# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Confusion matrix of saved detections, with a background row and column.

    python tools/test.py configs/fcos_voc.py CKPT --out preds.pkl
    python tools/analysis/confusion_matrix.py configs/fcos_voc.py preds.pkl \
        --out-dir work_dirs/analysis --score-thr 0.3 --iou-thr 0.5

Writes ``confusion_matrix.png`` and ``confusion_matrix.json`` (counts, rows
the true class, columns the detected class, the last of each the background)
and prints the classes most often confused.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import DictAction

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.evaluation.analysis import (box_confusion_matrix,
                                              load_predictions)
from lodaa_plugin.utils.builders import build_dataset
from lodaa_plugin.utils.cli_args import (add_unsafe_load_arg, fraction,
                                         refuse_overwriting_inputs)
from lodaa_plugin.utils.config_loading import read_config
from lodaa_plugin.visualization import plot_confusion_matrix


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Confusion matrix of detections (tools/test.py --out)')
    parser.add_argument('config', help='the config the detections came from')
    parser.add_argument('predictions', help='.pkl from tools/test.py --out')
    parser.add_argument('--out-dir', default='work_dirs/analysis')
    parser.add_argument(
        '--score-thr',
        type=fraction,
        default=0.3,
        help='detections below this score are left out')
    parser.add_argument(
        '--iou-thr', type=fraction, default=0.5, help='overlap for a match')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_unsafe_load_arg(parser)
    args = parser.parse_args()
    for name in ('confusion_matrix.png', 'confusion_matrix.json'):
        refuse_overwriting_inputs(parser, osp.join(args.out_dir, name),
                                  [args.config, args.predictions], '--out-dir')
    return args


def main() -> None:
    args = parse_args()
    enable_compat()
    cfg = read_config(args.config, args.cfg_options)
    dataset = build_dataset(cfg, 'test')
    classes = list(dataset.metainfo['classes'])
    try:
        results = load_predictions(args.predictions, dataset)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    matrix = box_confusion_matrix(results, len(classes), args.iou_thr,
                                  args.score_thr)
    os.makedirs(args.out_dir, exist_ok=True)
    png = plot_confusion_matrix(
        matrix, classes, osp.join(args.out_dir, 'confusion_matrix.png'),
        f'{len(results)} images, score >= {args.score_thr}, '
        f'IoU >= {args.iou_thr}')
    with open(osp.join(args.out_dir, 'confusion_matrix.json'), 'w') as f:
        json.dump(
            dict(
                classes=classes + ['background'],
                score_thr=args.score_thr,
                iou_thr=args.iou_thr,
                images=len(results),
                matrix=matrix.tolist()),
            f,
            indent=1)
    names = classes + ['background']
    found, boxes = matrix.diagonal()[:-1].sum(), matrix[:-1].sum()
    print(f'{found} of {boxes} boxes found as their class, '
          f'{matrix[:-1, -1].sum()} missed, '
          f'{matrix[-1].sum()} false positives on the background')
    off = [(matrix[r, c], names[r], names[c]) for r in range(len(classes))
           for c in range(len(classes)) if r != c and matrix[r, c]]
    for count, true, detected in sorted(off, reverse=True)[:10]:
        print(f'  {true} detected as {detected}: {count}')
    print(f'wrote {png}')


if __name__ == '__main__':
    main()
