# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Detect objects with LODAA's end-to-end export and nothing else: ONNX
Runtime, numpy and OpenCV (no torch, mmcv, mmdet or lodaa_plugin).

    python tools/deployment/onnx_client.py EXPORT_DIR photo.jpg [more.jpg ...]
    python tools/deployment/onnx_client.py EXPORT_DIR photo.jpg --json

Prints each image's objects above ``--score-thr``, one a line (class,
score, box as x1 y1 x2 y2 pixels), or with ``--json`` one JSON object a line.
"""
import argparse
import json

import cv2
import numpy as np
import onnxruntime as ort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('export_dir', help='the folder export.py wrote')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='objects scored at least this (default: 0.3)')
    parser.add_argument(
        '--json', action='store_true', help='one JSON object per image')
    args = parser.parse_args()
    export_dir, paths = args.export_dir, args.images
    try:
        with open(f'{export_dir}/deploy.json') as f:
            cfg = json.load(f)
    except (OSError, ValueError) as error:
        raise SystemExit(f'{export_dir}/deploy.json: not a readable export '
                         f'description ({error}); run export.py first')
    # The resize and padding of lodaa_plugin/deployment/preprocess.py, written
    # again on purpose: this client imports nothing of LODAA (it shows what
    # a client in any language has to do).
    resize, divisor = cfg['preprocess']['resize'], cfg['preprocess'][
        'pad_size_divisor']
    session = ort.InferenceSession(f'{export_dir}/{cfg["end2end"]["onnx"]}')
    for path in paths:
        image = cv2.imread(path)  # BGR, as the graph takes it
        if image is None:
            raise SystemExit(f'{path}: cannot be read as an image')
        h, w = image.shape[:2]
        if resize['keep_ratio']:  # within (long, short) sides
            f = min(
                max(resize['scale']) / max(h, w),
                min(resize['scale']) / min(h, w))
            size = (int(w * f + 0.5), int(h * f + 0.5))
        else:
            size = tuple(resize['scale'])
        resized = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        batch = np.zeros((1, 3, -(-size[1] // divisor) * divisor,
                          -(-size[0] // divisor) * divisor), np.uint8)
        batch[0, :, :size[1], :size[0]] = resized.transpose(2, 0, 1)
        num, boxes, scores, labels = session.run(
            None,
            dict(
                images=batch,
                img_shapes=np.array([[size[1], size[0]]], np.float32),
                scale_factors=np.array([[size[0] / w, size[1] / h]],
                                       np.float32)))
        keep = scores[0, :int(num[0])] >= args.score_thr
        found = dict(
            image=path,
            boxes=boxes[0, :len(keep)][keep].round(2).tolist(),
            scores=scores[0, :len(keep)][keep].round(4).tolist(),
            labels=[cfg['classes'][i] for i in labels[0, :len(keep)][keep]])
        if args.json:
            print(json.dumps(found))
            continue
        print(f'{path}: {len(found["labels"])} object(s) scored '
              f'>= {args.score_thr}')
        for label, score, box in zip(found['labels'], found['scores'],
                                     found['boxes']):
            print(f'  {label:<14} {score:.3f}  ' + ' '.join(f'{v:.1f}'
                                                            for v in box))


if __name__ == '__main__':
    main()
