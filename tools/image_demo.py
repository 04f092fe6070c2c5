# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Detect objects in an image, a folder or a glob; write annotated images
and a JSON of boxes, labels and scores.

    python tools/image_demo.py demo.jpg configs/fcos_voc.py \
        work_dirs/fcos_voc/epoch_12.pth
    python tools/image_demo.py 'photos/*.jpg' CONFIG CKPT --out-dir out \
        --score-thr 0.4
    python tools/image_demo.py 'photos/*.jpg' CONFIG EXPORT_DIR \
        --backend openvino    # a folder from tools/deployment/export.py
    python tools/image_demo.py big.jpg CONFIG CKPT --slice 128 \
        --overlap 0.2         # small objects: detect in 128-pixel tiles
"""
import argparse
import glob
import json
import os
import os.path as osp

from tqdm import tqdm

from lodaa_plugin.apis import (draw_prediction_file, init_detector_strict,
                               predict_images)
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.compat.registry_hints import enable_registry_hints
from lodaa_plugin.utils.cli_args import (add_deploy_args, add_slice_args,
                                         add_unsafe_load_arg, fraction,
                                         positive_int)
from lodaa_plugin.utils.output_paths import overwritten_inputs

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def collect_images(inputs: str) -> list:
    """Image files named by a file, a folder or a glob pattern."""
    if osp.isdir(inputs):
        paths = [osp.join(inputs, f) for f in sorted(os.listdir(inputs))]
    elif osp.isfile(inputs):
        paths = [inputs]
    else:
        paths = sorted(glob.glob(inputs, recursive=True))
    paths = [p for p in paths if p.lower().endswith(IMAGE_EXTENSIONS)]
    if not paths:
        raise FileNotFoundError(f'no images at {inputs!r} (a file, a folder '
                                f'or a glob of {IMAGE_EXTENSIONS} files)')
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description='Run a detector on images')
    parser.add_argument('inputs', help='image file, folder or glob')
    parser.add_argument('config')
    parser.add_argument(
        'checkpoint', help='checkpoint, or with --backend the export folder')
    add_deploy_args(parser)
    add_slice_args(parser)
    parser.add_argument('--out-dir', default='outputs')
    parser.add_argument('--score-thr', type=fraction, default=0.3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=positive_int, default=4)
    parser.add_argument(
        '--no-labels', action='store_true', help='draw the boxes only')
    parser.add_argument(
        '--no-scores', action='store_true', help='labels without scores')
    parser.add_argument(
        '--font-scale',
        type=float,
        default=1.0,
        help='a factor on the label font (sized to each image)')
    parser.add_argument(
        '--legend',
        action='store_true',
        help='list the drawn classes and their colours (top right)')
    add_unsafe_load_arg(parser)
    args = parser.parse_args()
    enable_compat()
    enable_registry_hints()

    paths = collect_images(args.inputs)
    drawn = [
        osp.join(args.out_dir,
                 osp.splitext(osp.basename(path))[0] + '.png')
        for path in paths
    ]
    for out, source in overwritten_inputs(
            drawn + [osp.join(args.out_dir, 'predictions.json')],
            paths + [args.config, args.checkpoint])[:1]:
        parser.error(f'--out-dir {args.out_dir}: {out} would overwrite the '
                     f'input {source}; name another folder')
    if args.backend == 'pytorch':
        model = init_detector_strict(args.config, args.checkpoint, args.device)
        classes = model.dataset_meta['classes']
        test_cfg = model.test_cfg

        def predict(chunk):
            return predict_images(model, chunk, args.batch_size)
    else:
        from lodaa_plugin.deployment import DeployedDetector
        predict = DeployedDetector(args.checkpoint, args.backend,
                                   args.precision, args.graph)
        classes, test_cfg = predict.classes, predict.cfg['test_cfg']
    if args.slice:
        from lodaa_plugin.deployment.preprocess import read_image
        from lodaa_plugin.slicing import SlicedPredictor
        predict = SlicedPredictor.from_args(predict, read_image, test_cfg,
                                            args)
    os.makedirs(args.out_dir, exist_ok=True)
    records = []
    for start in tqdm(
            range(0, len(paths), args.batch_size), desc='detecting',
            unit='batch'):
        chunk = paths[start:start + args.batch_size]
        for path, pred in zip(chunk, predict(chunk)):
            name = osp.splitext(osp.basename(path))[0] + '.png'
            draw_prediction_file(
                path,
                pred,
                classes,
                args.score_thr,
                show_labels=not args.no_labels,
                show_scores=not args.no_scores,
                font_scale=args.font_scale,
                legend=args.legend).save(osp.join(args.out_dir, name))
            keep = pred['scores'] >= args.score_thr
            records.append(
                dict(
                    image=path,
                    drawn=osp.join(args.out_dir, name),
                    detections=[
                        dict(
                            bbox=[round(float(v), 2) for v in box],
                            label=classes[int(label)],
                            score=round(float(score), 4)) for box, label, score
                        in zip(pred['bboxes'][keep], pred['labels'][keep],
                               pred['scores'][keep])
                    ]))
    out_json = osp.join(args.out_dir, 'predictions.json')
    with open(out_json, 'w') as f:
        json.dump(
            dict(
                config=args.config,
                checkpoint=args.checkpoint,
                backend=args.backend,
                score_thr=args.score_thr,
                images=records),
            f,
            indent=1)
    print(f'{len(records)} image(s) drawn into {args.out_dir}/, '
          f'boxes in {out_json}')


if __name__ == '__main__':
    main()
