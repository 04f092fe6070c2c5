# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Whole-image against sliced inference at the same model: VOC07 11-point
mAP@0.5, COCO AP and AP_small, and seconds per image, on the config's test
set.

    python tools/analysis/benchmark_slicing.py \\
        configs/demo/fcos_synthetic_small_objects.py \\
        work_dirs/small_objects/iter_600.pth --slice 128 --overlap 0.2
    # and the export's runtime (ONNX Runtime fp32, OpenVINO INT8 if there)
    python tools/analysis/benchmark_slicing.py CONFIG CKPT --slice 128 \\
        --export work_dirs/small_objects_deploy

Each path (whole image through the test pipeline; tiles merged by NMS on
IoU, NMS on intersection over the smaller box, NMM; standard + sliced)
predicts every image of the set in turn, in one process, after one
warm-up image; the time is the wall time of that pass over the images
(decoding included) divided by their number. Prints the CPU model.
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Callable, Dict, List

from lodaa_plugin.apis import init_detector_strict, predict_images
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.deployment.preprocess import read_image
from lodaa_plugin.evaluation.analysis import image_result, voc_metric_values
from lodaa_plugin.slicing import SlicedPredictor
from lodaa_plugin.utils.builders import build_dataset
from lodaa_plugin.utils.cli_args import fraction, positive_int

# the timing helpers live in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks.timing import describe_machine

# (name, merge, match, whole image too)
SLICED = [
    ('sliced, NMS on IoU', 'nms', 'iou', False),
    ('sliced, NMS on IoS', 'nms', 'ios', False),
    ('sliced, NMM on IoS', 'nmm', 'ios', False),
    ('standard + sliced, NMS on IoS', 'nms', 'ios', True),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--slice', type=positive_int, required=True)
    parser.add_argument('--overlap', type=fraction, default=0.2)
    parser.add_argument(
        '--export',
        help='an export folder of the same checkpoint: also its sliced '
        'runtime (ONNX Runtime fp32; OpenVINO INT8 if exported with --int8)')
    parser.add_argument(
        '--images', type=positive_int, help='the first N test images only')
    parser.add_argument('--batch-size', type=positive_int, default=8)
    parser.add_argument('--out', help='write the table as JSON here')
    return parser.parse_args()


def score(predict: Callable, infos: List[dict], meta: dict,
          batch_size: int) -> Dict[str, float]:
    """Predict every image, time it, and score it.

    Args:
        predict (Callable): Image files to detections.
        infos (list[dict]): The images' data infos.
        meta (dict): The dataset's meta.
        batch_size (int): Images per call.

    Returns:
        dict: ``mAP_11points``, ``coco_AP``, ``coco_AP_s``, ``s_per_image``.
    """
    predict([infos[0]['img_path']])  # warm-up: first calls allocate
    results = []
    start = time.perf_counter()
    for i in range(0, len(infos), batch_size):
        chunk = infos[i:i + batch_size]
        for info, r in zip(chunk, predict([c['img_path'] for c in chunk])):
            results.append(
                image_result(info, r['bboxes'], r['scores'], r['labels']))
    seconds = (time.perf_counter() - start) / len(infos)
    values = voc_metric_values(results, meta)
    return dict(
        mAP_11points=float(values['mAP_11points']),
        coco_AP=float(values['coco_AP']),
        coco_AP_s=float(values['coco_AP_s']),
        s_per_image=seconds)


def main() -> None:
    args = parse_args()
    enable_compat()
    model = init_detector_strict(args.config, args.checkpoint)
    dataset = build_dataset(model.cfg, 'test')
    count = min(args.images or len(dataset), len(dataset))
    infos = [dataset.get_data_info(i) for i in range(count)]
    print(f'{count} images of {args.config}; {describe_machine()}')

    def pytorch(images):
        return predict_images(model, images, args.batch_size)

    paths = [('PyTorch fp32', 'whole image', pytorch)]
    paths += [('PyTorch fp32', name,
               SlicedPredictor(pytorch, read_image, model.test_cfg, args.slice,
                               args.overlap, whole, match, merge,
                               args.batch_size))
              for name, merge, match, whole in SLICED]
    if args.export:
        from lodaa_plugin.deployment import (DeployedDetector,
                                             load_deploy_config)
        runtimes = [('ONNX Runtime fp32', 'onnxruntime', 'fp32')]
        if 'openvino_int8' in load_deploy_config(args.export)['end2end']:
            runtimes.append(('OpenVINO INT8', 'openvino', 'int8'))
        for label, backend, precision in runtimes:
            deployed = DeployedDetector(args.export, backend, precision)
            paths.append((label, 'whole image', deployed))
            name, merge, match, whole = SLICED[1]
            paths.append((label, name,
                          SlicedPredictor(deployed, read_image,
                                          deployed.cfg['test_cfg'], args.slice,
                                          args.overlap, whole, match, merge,
                                          args.batch_size)))
    rows = []
    print('| model | inference | VOC07 mAP@0.5 | COCO AP | COCO AP_small | '
          's / image |')
    print('| --- | --- | --- | --- | --- | --- |')
    for label, name, predict in paths:
        values = score(predict, infos, dataset.metainfo, args.batch_size)
        rows.append(dict(model=label, inference=name, **values))
        print(f'| {label} | {name} | {values["mAP_11points"]:.3f} | '
              f'{values["coco_AP"]:.3f} | {values["coco_AP_s"]:.3f} | '
              f'{values["s_per_image"]:.3f} |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    config=args.config,
                    checkpoint=args.checkpoint,
                    slice=args.slice,
                    overlap=args.overlap,
                    machine=describe_machine(),
                    rows=rows),
                f,
                indent=1)


if __name__ == '__main__':
    main()
