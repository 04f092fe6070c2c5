# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Evaluate a checkpoint; prints the per-class AP table and the mAP.

    python tools/test.py configs/fcos_voc.py work_dirs/fcos_voc/epoch_12.pth
    python tools/test.py CONFIG CKPT --show-dir vis --out results.pkl
    python tools/test.py CONFIG CKPT --tta
    python tools/test.py CONFIG EXPORT_DIR --backend openvino
    python tools/test.py CONFIG CKPT --slice 128 --overlap 0.2
    bash tools/dist_test.sh CONFIG CKPT 8
"""
import argparse

from lodaa_plugin.apis import checkpoint_dataset_meta, load_checkpoint_strict
from lodaa_plugin.compat import enable_compat, prepare_distributed
from lodaa_plugin.compat.registry_hints import enable_registry_hints
from lodaa_plugin.utils.builders import build_runner
from lodaa_plugin.utils.cli_args import (add_common_args, add_deploy_args,
                                         add_slice_args, add_vis_backend_arg,
                                         non_negative_float)
from lodaa_plugin.utils.config_edits import enable_flip_tta, enable_slicing
from lodaa_plugin.utils.config_loading import load_config
from lodaa_plugin.utils.dist import close_distributed
from lodaa_plugin.utils.model_wrapper import unwrap_model


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a LODAA model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        help='checkpoint file, or with --backend the export '
        'folder of tools/deployment/export.py')
    add_deploy_args(parser)
    parser.add_argument(
        '--out', help='dump predictions to a .pkl file for offline analysis')
    parser.add_argument(
        '--show-dir',
        help='save images with predictions drawn into this folder (under '
        'the run folder of the work dir)')
    parser.add_argument(
        '--show', action='store_true', help='display predictions in a window')
    parser.add_argument(
        '--wait-time',
        type=non_negative_float,
        default=2,
        help='seconds per shown image')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: each image also flipped, boxes merged '
        "as mmdet does (the config's tta_model / tta_pipeline if it has them)")
    add_slice_args(parser)
    add_vis_backend_arg(parser)
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    enable_compat()
    enable_registry_hints()
    cfg = load_config(args)
    # loaded below, every weight or an error (mmengine's default is lenient)
    cfg.load_from = None
    is_detector = cfg.get('default_scope', 'mmdet') == 'mmdet'
    if args.show or args.show_dir:
        if is_detector:
            from mmdet.engine.hooks.utils import trigger_visualization_hook
            cfg = trigger_visualization_hook(cfg, args)
        else:
            cfg = _enable_pretrain_visualization(cfg, args)
    if args.tta:
        if args.backend != 'pytorch':
            raise SystemExit('--tta runs in PyTorch only')
        enable_flip_tta(cfg)
    if args.backend != 'pytorch':
        import lodaa_plugin.deployment.mmdet_model  # noqa: F401 (registers)
        cfg.model = dict(
            type='DeployedDetectorModel',
            export_dir=args.checkpoint,
            backend=args.backend,
            precision=args.precision,
            graph=args.graph,
            data_preprocessor=cfg.model.data_preprocessor)
    if args.slice:
        if args.tta or not is_detector:
            raise SystemExit('--slice runs a detector, without --tta')
        enable_slicing(cfg, args.slice, args.overlap, args.slice_whole,
                       args.slice_merge, args.slice_match)
    # without CUDA: a gloo group, so the Runner skips its nccl init
    prepare_distributed(cfg)
    runner = build_runner(cfg)
    model = unwrap_model(runner.model)
    if args.tta:
        model = model.module  # the network inside the TTA model
    if args.slice:
        model = model.detector  # the detector inside the sliced one
    if args.backend != 'pytorch':
        _check_export_classes(runner, model, args)
    if args.backend == 'pytorch':
        loaded = load_checkpoint_strict(model, args.checkpoint, args.config)
        # the classes it was trained on, for NumClassesCheckHook's advice
        model.dataset_meta = checkpoint_dataset_meta(loaded) or getattr(
            model, 'dataset_meta', None)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must name a .pkl file, got {args.out}')
        if is_detector:
            from mmdet.evaluation import DumpDetResults as Dump
        else:
            from mmengine.evaluator import DumpResults as Dump
        runner.test_evaluator.metrics.append(Dump(out_file_path=args.out))
    runner.test()
    close_distributed()


def _check_export_classes(runner, model, args) -> None:
    """Refuse to score an export whose classes are not the test set's."""
    exported = list(model.deployed.classes)
    dataset = list(runner.test_dataloader.dataset.metainfo['classes'])
    if exported != dataset:
        raise SystemExit(
            f'{args.checkpoint}: exported for classes {exported}, but the '
            f'test set of {args.config} has {dataset}; the metric would '
            'score the wrong labels')


def _enable_pretrain_visualization(cfg, args):
    """mmpretrain's counterpart of mmdet's trigger_visualization_hook."""
    hook = cfg.default_hooks.setdefault('visualization',
                                        dict(type='VisualizationHook'))
    hook.update(enable=True, show=args.show, wait_time=args.wait_time)
    if args.show_dir:
        hook['out_dir'] = args.show_dir
    return cfg


if __name__ == '__main__':
    main()
