# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Export a trained LODAA FCOS for ONNX Runtime and OpenVINO.

    python tools/deployment/export.py configs/fcos_voc_224.py CKPT \
        --backend openvino --out work_dirs/fcos_voc_224_deploy
    python tools/image_demo.py 'photos/*.jpg' work_dirs/fcos_voc_224_deploy \
        --backend openvino --out-dir out
    python tools/test.py configs/fcos_voc_224.py \
        work_dirs/fcos_voc_224_deploy --backend onnxruntime

Writes ``model.onnx`` (dynamic batch; dynamic height and width when the test
pipeline keeps the aspect ratio, or with ``--dynamic-size``), ``model.xml`` /
``.bin`` with ``--backend openvino``, and ``deploy.json`` (classes,
normalisation, resize, strides, test_cfg). Then runs PyTorch and every
exported network on real images and prints the largest output difference.
"""
import argparse
import glob
import os.path as osp

from mmengine.config import DictAction

from lodaa_plugin.apis import checkpoint_dataset_meta, load_checkpoint_strict
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.deployment.export import (ExportableFCOS, compare_outputs,
                                            export_detector)
from lodaa_plugin.utils.builders import (build_dataset,
                                         build_model_without_weights)
from lodaa_plugin.utils.cli_args import add_unsafe_load_arg
from lodaa_plugin.utils.config_loading import read_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export LODAA FCOS to ONNX / OpenVINO')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--backend',
        choices=['onnx', 'openvino'],
        default='openvino',
        help='onnx: model.onnx; openvino: model.onnx and model.xml')
    parser.add_argument('--out', required=True, help='the export folder')
    parser.add_argument(
        '--dynamic-size',
        action='store_true',
        help='dynamic height and width even for a fixed-size test resize')
    parser.add_argument(
        '--check-images',
        nargs='+',
        help='images to compare PyTorch and the export on (default: the '
        "first 4 of the config's test set)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_unsafe_load_arg(parser)
    return parser.parse_args()


def _config_classes(cfg, config: str) -> list:
    """Class names for a checkpoint that does not store them: the test
    set's, else its dataset type's defaults, if their number fits."""
    from mmdet.registry import DATASETS
    try:
        classes = build_dataset(cfg, 'test').metainfo['classes']
    except Exception:  # no data here: the dataset type's own list
        dataset = cfg.test_dataloader.dataset
        classes = dataset.get('metainfo', {}).get('classes') or \
            DATASETS.get(dataset.type).METAINFO['classes']
    if len(classes) != cfg.model.bbox_head.num_classes:
        raise SystemExit(
            f'{config}: the checkpoint names no classes and the dataset '
            f'has {len(classes)}, the head {cfg.model.bbox_head.num_classes}')
    return list(classes)


def main() -> None:
    args = parse_args()
    enable_compat()
    cfg = read_config(args.config, args.cfg_options)
    model, _ = build_model_without_weights(cfg)
    loaded = load_checkpoint_strict(model, args.checkpoint, args.config)
    if args.check_images:
        images = [
            p for pattern in args.check_images
            for p in sorted(glob.glob(pattern))
        ]
        missing = [p for p in args.check_images if not glob.glob(p)]
        if missing:
            raise SystemExit(f'--check-images: no file matches {missing}')
    else:
        try:
            dataset = build_dataset(cfg, 'test')
        except Exception as error:
            raise SystemExit(
                f'{args.config}: its test set cannot be read ({error}); '
                'pass --check-images PHOTOS to check the export') from None
        images = [
            dataset.get_data_info(i)['img_path']
            for i in range(min(4, len(dataset)))
        ]
    classes = checkpoint_dataset_meta(loaded).get('classes') or \
        _config_classes(cfg, args.config)
    settings = export_detector(
        cfg,
        model,
        classes,
        args.checkpoint,
        args.out,
        backends=['onnx', args.backend],
        dynamic_size=True if args.dynamic_size else None)
    shape = settings['input']
    files = ', '.join(settings['models'].values())
    size = 'dynamic' if shape == 'dynamic' else shape
    print(f'exported to {args.out}: {files} and deploy.json; input {size}, '
          'dynamic batch')
    runtimes = ['onnxruntime'
                ] + (['openvino'] if args.backend == 'openvino' else [])
    worst = compare_outputs(
        ExportableFCOS(model.eval()), args.out, images, runtimes)
    for runtime, diff in worst.items():
        print(f'{runtime} fp32 vs PyTorch on {len(images)} images '
              f'({osp.basename(images[0])}, ...): largest output difference '
              f'{diff:.2e}')


if __name__ == '__main__':
    main()
