# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""End-to-end CPU detection speed, image file to detections: torchvision's
FCOS in eager PyTorch against LODAA's FCOS in eager fp32 and bf16 and its
export on ONNX Runtime and OpenVINO (fp32 and OpenVINO's default precision).

    python tools/analysis/benchmark_deploy.py configs/fcos_voc_224.py
    python tools/analysis/benchmark_deploy.py \
        configs/demo/fcos_synthetic_demo.py \
        --checkpoint work_dirs/demo/iter_1200.pth --batch 8 --steps 20

Every path decodes the same JPEG files, pre-processes them its own way, runs
the network and post-processes to detections; the paths alternate step by
step after warm-up in one process. Without ``--checkpoint`` the weights are
random (said in the output): untrained logits give many more candidates to
the post-processing than a trained model. Prints the CPU model and its
bf16 / AMX / AVX-512 / AVX2 flags.
"""
import argparse
import glob
import json
import os.path as osp
import sys
import tempfile

import torch

from lodaa_plugin.apis import checkpoint_dataset_meta, load_checkpoint_strict
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.deployment.export import export_detector
from lodaa_plugin.utils.builders import (build_dataset,
                                         build_model_without_weights)
from lodaa_plugin.utils.cli_args import (non_negative_int, positive_int,
                                         prepare_output_file)
from lodaa_plugin.utils.config_loading import read_config

# the benchmark harness lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks import deploy_benchmark as bench
from projects.benchmarks.timing import describe_machine, timed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='trained weights (else random)')
    parser.add_argument(
        '--images',
        help="a glob of photos (default: the first 64 images of the "
        "config's test set)")
    parser.add_argument('--batch', type=positive_int, default=8)
    parser.add_argument(
        '--steps', type=positive_int, default=10, help='timed steps per path')
    parser.add_argument('--warmup', type=non_negative_int, default=2)
    parser.add_argument(
        '--latency',
        action='store_true',
        help='also measure batch 1 (one image per step)')
    parser.add_argument(
        '--int8',
        action='store_true',
        help='also time the INT8 graph (NNCF, calibrated on --calib-images '
        "training images of the config, else on the timed photos)")
    parser.add_argument('--calib-images', type=positive_int, default=100)
    parser.add_argument(
        '--split',
        action='store_true',
        help='also print where the time of each deployed path goes')
    parser.add_argument('--out', help='write the tables as JSON here')
    args = parser.parse_args()
    prepare_output_file(parser, args.out, [args.config, args.checkpoint])
    return args


def _images(args, cfg) -> list:
    if args.images:
        files = sorted(glob.glob(args.images))
    else:
        try:
            dataset = build_dataset(cfg, 'test')
        except (FileNotFoundError, ValueError) as e:
            raise SystemExit(
                f"{args.config}: its test set cannot be read ({e}); pass "
                "--images 'DIR/*.jpg' to time other photos") from e
        files = [
            dataset.get_data_info(i)['img_path']
            for i in range(min(len(dataset), 64))
        ]
    if not files:
        raise SystemExit(f'no images found ({args.images or args.config})')
    return files


def _quantize(args, cfg, export_dir: str, files: list) -> None:
    from lodaa_plugin.deployment.quantize import quantize_end_to_end
    try:
        train = build_dataset(cfg, 'train')
        calibration = [
            train.get_data_info(i)['img_path']
            for i in range(min(args.calib_images, len(train)))
        ]
        source = 'training images'
    except Exception:
        calibration, source = files[:args.calib_images], 'timed photos'
    print(f'INT8: calibrating on {len(calibration)} {source}')
    quantize_end_to_end(export_dir, calibration)


def main() -> None:
    args = parse_args()
    enable_compat()
    cfg = read_config(args.config)
    model, _ = build_model_without_weights(cfg)
    classes = None
    if args.checkpoint:
        loaded = load_checkpoint_strict(model, args.checkpoint, args.config)
        classes = checkpoint_dataset_meta(loaded).get('classes')
    if classes is None:
        classes = [f'class{i}' for i in range(cfg.model.bbox_head.num_classes)]
    model.cfg, model.dataset_meta = cfg, dict(classes=tuple(classes))
    model.eval()
    files = _images(args, cfg)
    resize = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] == 'Resize'
    ][0]
    size = min(resize['scale'])
    weights = f'trained weights {args.checkpoint}' if args.checkpoint else \
        'RANDOM weights (untrained logits flood the post-processing)'
    machine = describe_machine()
    print(f'{machine}\n{args.config}, {weights}, test resize '
          f'{tuple(resize["scale"])}, {len(files)} photos cycled')
    tables = {}
    with tempfile.TemporaryDirectory() as export_dir:
        export_detector(cfg, model, classes, args.checkpoint, export_dir,
                        ('onnx', 'openvino'))
        if args.int8:
            _quantize(args, cfg, export_dir, files)
        runners = bench.path_runners(cfg, model, export_dir, size)
        print('OpenVINO default precision here: ' +
              runners['OpenVINO default, end-to-end'].session.precision)
        names = list(runners)
        for batch in [args.batch] + ([1] if args.latency else []):
            times = {name: [] for name in names}
            for step in range(args.warmup + args.steps):
                # the same files for every path; who goes first rotates
                first = step * batch
                chunk = [files[(first + i) % len(files)] for i in range(batch)]
                turn = step % len(names)
                for name in names[turn:] + names[:turn]:
                    seconds = timed(lambda: runners[name](chunk))
                    if step >= args.warmup:
                        times[name].append(seconds)
            counts = {
                name:
                sum(bench.detections_per_image(r)
                    for r in run(files[:batch])) / batch
                for name, run in runners.items()
            }
            rows = bench.speed_table(times, batch)
            for row in rows:
                row['detections_per_image'] = counts[row['path']]
            tables[f'batch_{batch}'] = rows
            print(bench.markdown(rows, batch))
            print('detections per image: ' +
                  ', '.join(f'{k} {v:.1f}' for k, v in counts.items()))
            if args.split:
                splits = {
                    name: bench.time_split(run, files[:batch], args.steps,
                                           timed)
                    for name, run in runners.items()
                    if hasattr(run, 'session')
                }
                tables[f'split_batch_{batch}'] = splits
                print(bench.split_markdown(splits, batch))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    machine=machine,
                    config=args.config,
                    weights=weights,
                    torch=torch.__version__,
                    tables=tables),
                f,
                indent=1)


if __name__ == '__main__':
    main()
