# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Detect objects with LODAA's end-to-end export and nothing else: ONNX
Runtime, numpy and OpenCV (no torch, mmcv, mmdet or lodaa_plugin).

    python tools/deployment/onnx_client.py EXPORT_DIR photo.jpg [more.jpg ...]
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
        n = int(num[0])
        print(
            json.dumps(
                dict(
                    image=path,
                    boxes=boxes[0, :n].round(2).tolist(),
                    scores=scores[0, :n].round(4).tolist(),
                    labels=[cfg['classes'][i] for i in labels[0, :n]])))


if __name__ == '__main__':
    main()
