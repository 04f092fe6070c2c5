# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Export a trained LODAA FCOS for ONNX Runtime and OpenVINO.

    python tools/deployment/export.py configs/fcos_voc_224.py CKPT \
        --backend openvino --out work_dirs/fcos_voc_224_deploy
    python tools/deployment/export.py configs/fcos_voc_224.py CKPT \
        --backend openvino --int8 --out work_dirs/fcos_voc_224_deploy \
        --overwrite
    python tools/test.py configs/fcos_voc_224.py \
        work_dirs/fcos_voc_224_deploy --backend openvino --precision int8

Writes the end-to-end graph ``end2end.onnx`` (pixels to detections: batch,
height and width dynamic), the network alone ``model.onnx`` (the same pixels
to the head's per-level maps; dynamic batch; dynamic height and width when
the test pipeline keeps the aspect ratio, or with ``--dynamic-size``), their
OpenVINO IR with ``--backend openvino``, and ``deploy.json``. Every rule
comes from the built model; a test_cfg no export reproduces exactly
(soft-NMS, ``offset=1``, ...) is refused, named.
A folder holding another export is refused (its graphs would sit beside
the new ones); ``--overwrite`` removes that export's files first, and lists
them. Then runs PyTorch and every export on real images and prints the largest
differences. ``--int8`` quantizes the OpenVINO end-to-end graph with NNCF,
calibrated on training images, and scores fp32 and INT8 on the same test
images: the INT8 model is kept only when the upper bound of the 95% paired
bootstrap interval of its VOC07 mAP drop (fp32 − INT8) is at most
``--int8-tolerance``; otherwise it is deleted (refused: the whole interval
beyond; undecided: the interval holds the tolerance, with how many test
images would decide) and the tool exits with status 2.
"""
import argparse
import glob
import os
import os.path as osp
import random
import sys

from mmengine.config import DictAction

from lodaa_plugin.apis import checkpoint_dataset_meta, load_checkpoint_strict
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.deployment.export import (ExportFolderError, build_graphs,
                                            clear_earlier_export,
                                            compare_end_to_end,
                                            compare_outputs, export_detector)
from lodaa_plugin.utils.builders import (build_dataset,
                                         build_model_without_weights)
from lodaa_plugin.utils.cli_args import (add_unsafe_load_arg, fraction,
                                         non_negative_int, positive_int)
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
        '--overwrite',
        action='store_true',
        help="replace an earlier export in --out: its files (deploy.json and "
        'the graphs it names) are removed first and listed; other files '
        'stay. Without it such a folder is refused')
    parser.add_argument(
        '--dynamic-size',
        action='store_true',
        help='dynamic height and width even for a fixed-size test resize')
    parser.add_argument(
        '--check-images',
        nargs='+',
        help='images to compare PyTorch and the export on (default: the '
        "first 4 of the config's test set)")
    parser.add_argument(
        '--int8',
        action='store_true',
        help='also write an INT8 OpenVINO end-to-end graph (NNCF), checked '
        'against fp32 on the test set')
    parser.add_argument(
        '--calib-images',
        type=positive_int,
        default=300,
        help='training images that calibrate INT8 (default 300)')
    parser.add_argument(
        '--eval-images',
        type=non_negative_int,
        default=500,
        help='test images on which fp32 and INT8 are scored (0: all; '
        'default 500)')
    parser.add_argument(
        '--int8-tolerance',
        type=fraction,
        default=0.01,
        help='largest VOC07 mAP loss of INT8 against fp32 (default 0.01)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_unsafe_load_arg(parser)
    args = parser.parse_args()
    if args.int8 and args.backend != 'openvino':
        parser.error('--int8 quantizes the OpenVINO graph: add --backend '
                     'openvino')
    return args


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
    try:
        removed = clear_earlier_export(args.out, args.overwrite)
    except ExportFolderError as error:
        raise SystemExit(str(error)) from None
    if removed:
        print(f'--overwrite: removed the earlier export in {args.out}: '
              f'{", ".join(removed)}')
    try:
        settings = export_detector(
            cfg,
            model,
            classes,
            args.checkpoint,
            args.out,
            backends=['onnx', args.backend],
            dynamic_size=True if args.dynamic_size else None)
    except ValueError as error:
        raise SystemExit(f'{args.config}: {error}') from None
    shape = settings['input']
    size = 'dynamic' if shape == 'dynamic' else shape
    print(f'exported to {args.out}: end-to-end graph '
          f'{", ".join(settings["end2end"].values())} (any batch and size), '
          f'network {", ".join(settings["models"].values())} (input {size}, '
          'dynamic batch), deploy.json')
    runtimes = ['onnxruntime'
                ] + (['openvino'] if args.backend == 'openvino' else [])
    network, graph = build_graphs(model.eval(), settings['preprocess'])
    worst = compare_outputs(network, args.out, images, runtimes)
    for runtime, diff in worst.items():
        print(f'network, {runtime} fp32 vs PyTorch on {len(images)} images '
              f'({osp.basename(images[0])}, ...): largest output difference '
              f'{diff:.2e}')
    for runtime, check in compare_end_to_end(graph, args.out, images,
                                             runtimes).items():
        print(f'end-to-end, {runtime} fp32 vs PyTorch: '
              f'{"same" if check["same_labels"] else "DIFFERENT"} detections'
              f', boxes within {check["box_diff"]:.1e} px, scores within '
              f'{check["score_diff"]:.1e}')
        if not check['same_labels']:
            sys.exit(f'{runtime} gives other detections than PyTorch')
    if args.int8:
        _int8(args, cfg)


def _int8(args, cfg) -> None:
    """Quantize, score fp32 and INT8 on the test set, keep or refuse."""
    from lodaa_plugin.deployment import DeployedDetector
    from lodaa_plugin.deployment.deploy_config import load_deploy_config
    from lodaa_plugin.deployment.evaluate import export_results, int8_decision
    from lodaa_plugin.deployment.export import write_deploy_config
    from lodaa_plugin.deployment.quantize import INT8_FILE, quantize_end_to_end
    try:
        train = build_dataset(cfg, 'train')
        test = build_dataset(cfg, 'test')
    except Exception as error:
        raise SystemExit(
            f'--int8 calibrates on the training set and scores '
            f'on the test set of {args.config}: {error}') from None
    picks = random.Random(0).sample(
        range(len(train)), min(args.calib_images, len(train)))
    calibration = [train.get_data_info(i)['img_path'] for i in picks]
    before = load_deploy_config(args.out)
    settings = quantize_end_to_end(args.out, calibration)
    count = len(test) if args.eval_images <= 0 else min(
        args.eval_images, len(test))
    results = {
        precision:
        export_results(
            DeployedDetector(args.out, 'openvino', precision),
            test,
            range(count),
            desc=f'OpenVINO {precision}')
        for precision in ('fp32', 'int8')
    }
    decision = int8_decision(results['fp32'], results['int8'], test.metainfo,
                             args.int8_tolerance)
    print(decision.describe())
    if decision.verdict not in ('keep', 'unchecked'):
        for name in (INT8_FILE, INT8_FILE[:-4] + '.bin'):
            if osp.exists(osp.join(args.out, name)):
                os.remove(osp.join(args.out, name))
        write_deploy_config(args.out, before)
        print(
            f'INT8 {"refused" if decision.verdict == "refuse" else "not kept"}'
            ': the fp32 export is kept. Try more --calib-images, a larger '
            '--int8-tolerance, or more --eval-images when undecided.')
        sys.exit(2)
    settings['int8'].update(
        eval_images=count,
        fp32=decision.fp32,
        int8=decision.int8,
        drop=dict(
            value=decision.drop,
            interval=[decision.low, decision.high],
            level=decision.level,
            resamples=decision.resamples,
            seed=decision.seed),
        metric='VOC07 11-point and area mAP@0.5',
        checked=decision.verdict == 'keep')
    write_deploy_config(args.out, settings)
    print(f'INT8 kept: {osp.join(args.out, INT8_FILE)} (--precision int8)')


if __name__ == '__main__':
    main()
