# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The best and the worst detected test images, drawn, with each image's AP.

    python tools/test.py configs/fcos_voc.py CKPT --out preds.pkl
    python tools/analysis/analyze_results.py configs/fcos_voc.py preds.pkl \
        work_dirs/analysis --topk 20

Each image's AP is the mean over the classes it has of VOC's area AP at IoU
0.5 on that image alone. Writes ``best/`` and ``worst/`` (detections in
colour with their scores, true boxes in white), ``best.png`` and
``worst.png`` (the same as one grid each) and ``per_image_ap.json``.
"""
import argparse
import json
import os
import os.path as osp

import numpy as np
from mmengine.config import DictAction
from PIL import Image, ImageDraw

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.deployment.preprocess import read_image
from lodaa_plugin.evaluation.analysis import load_predictions, rank_images
from lodaa_plugin.utils.builders import build_dataset
from lodaa_plugin.utils.cli_args import (add_unsafe_load_arg, fraction,
                                         positive_int)
from lodaa_plugin.utils.config_loading import read_config
from lodaa_plugin.visualization import draw_detections, save_detection_grid
from lodaa_plugin.visualization.detections import label_font


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Best and worst images by AP (tools/test.py --out)')
    parser.add_argument('config', help='the config the detections came from')
    parser.add_argument('predictions', help='.pkl from tools/test.py --out')
    parser.add_argument('out_dir', help='where the drawings go')
    parser.add_argument(
        '--topk',
        type=positive_int,
        default=20,
        help='images drawn at each end')
    parser.add_argument(
        '--score-thr',
        type=fraction,
        default=0.3,
        help='detections drawn, and false positives counted, from this score')
    parser.add_argument('--iou-thr', type=fraction, default=0.5)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_unsafe_load_arg(parser)
    return parser.parse_args()


def _draw(result, classes, score_thr: float, ap: float) -> Image.Image:
    # the pipeline's decoding and refusals, the file named if it fails
    image = read_image(result.img_path)[..., ::-1]
    # drawn at the sheet's size (480 px on the long side), so that the
    # labels are sized for it rather than shrunk with the image
    f = 480 / max(image.shape[:2])
    size = (round(image.shape[1] * f), round(image.shape[0] * f))
    image = np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))
    drawn = draw_detections(
        image,
        classes,
        result.bboxes * f,
        result.labels,
        result.scores,
        score_thr=score_thr,
        gt_boxes=np.vstack([result.gt_bboxes, result.ignore_bboxes]) * f,
        gt_labels=np.concatenate([result.gt_labels, result.ignore_labels]))
    ImageDraw.Draw(drawn).text((4, drawn.height - 4),
                               f'AP {ap:.3f}  {osp.basename(result.img_path)}',
                               fill=(255, 255, 0),
                               font=label_font(drawn.size, 1.3),
                               anchor='ld',
                               stroke_width=2,
                               stroke_fill=(0, 0, 0))
    return drawn


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
    ranked = rank_images(results, args.iou_thr, args.score_thr)
    skipped = len(results) - len(ranked)
    topk = min(args.topk, (len(ranked) + 1) // 2)
    ends = dict(best=ranked[:topk], worst=ranked[::-1][:topk])
    for name, rows in ends.items():
        folder = osp.join(args.out_dir, name)
        os.makedirs(folder, exist_ok=True)
        drawings = []
        for rank, (i, ap, _) in enumerate(rows):
            drawing = _draw(results[i], classes, args.score_thr, ap)
            stem = osp.splitext(osp.basename(results[i].img_path))[0]
            drawing.save(osp.join(folder, f'{rank:03d}_{stem}.png'))
            drawings.append(drawing)
        if drawings:
            save_detection_grid(drawings, osp.join(args.out_dir,
                                                   f'{name}.png'))
    with open(osp.join(args.out_dir, 'per_image_ap.json'), 'w') as f:
        json.dump([
            dict(
                img_path=results[i].img_path,
                ap=round(ap, 6),
                false_positives_absent_classes=fp) for i, ap, fp in ranked
        ],
                  f,
                  indent=1)
    aps = [ap for _, ap, _ in ranked]
    print(f'{len(ranked)} images ranked (mean of per-image AP '
          f'{np.mean(aps) if aps else float("nan"):.3f}); {skipped} without '
          'a box that counts left out')
    for name, rows in ends.items():
        print(f'{name}:')
        for i, ap, fp in rows[:5]:
            print(f'  AP {ap:.3f}  false positives of absent classes {fp:2d}'
                  f'  {results[i].img_path}')
    print(f'wrote {args.out_dir}/best.png, worst.png, best/, worst/ and '
          'per_image_ap.json')


if __name__ == '__main__':
    main()
