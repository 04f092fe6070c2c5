# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Evaluate a checkpoint; prints the per-class AP table and the mAP.

    python tools/test.py configs/fcos_voc.py work_dirs/fcos_voc/epoch_12.pth
    python tools/test.py CONFIG CKPT --show-dir vis --out results.pkl
    python tools/test.py CONFIG CKPT --tta
    python tools/test.py CONFIG EXPORT_DIR --backend openvino
    python tools/test.py CONFIG CKPT --compare OTHER_CKPT
    python tools/test.py CONFIG CKPT --slice 128 --overlap 0.2
    bash tools/dist_test.sh CONFIG CKPT 8

``--compare`` scores a second checkpoint (or, with ``--backend``, a second
export folder) on the same test images and prints the first minus the
second with its paired 95% bootstrap interval and a verdict.
"""
import argparse

from lodaa_plugin.apis import checkpoint_dataset_meta, load_checkpoint_strict
from lodaa_plugin.compat import enable_compat, prepare_distributed
from lodaa_plugin.compat.registry_hints import enable_registry_hints
from lodaa_plugin.utils.builders import build_runner
from lodaa_plugin.utils.cli_args import (add_common_args, add_deploy_args,
                                         add_slice_args, add_vis_backend_arg,
                                         non_negative_float,
                                         prepare_output_file)
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
    parser.add_argument(
        '--compare',
        metavar='CKPT_OR_EXPORT',
        help='a second checkpoint (with --backend: export folder) scored on '
        'the same test images; prints first − second, paired 95%% interval')
    add_slice_args(parser)
    add_vis_backend_arg(parser)
    add_common_args(parser)
    args = parser.parse_args()
    prepare_output_file(parser, args.out, [args.config, args.checkpoint])
    return args


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
    if args.compare and not is_detector:
        raise SystemExit('--compare compares detectors (LodaaVOCMetric)')
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
    if args.compare:
        _compare(runner, args, model)
    close_distributed()


def _compare(runner, args, model) -> None:
    """Score ``--compare`` on the same images; print the paired
    differences of the metric's mAPs."""
    from mmengine.dist import is_main_process

    from lodaa_plugin.evaluation.metrics.bootstrap import paired_difference
    metric = next(
        (m for m in runner.test_evaluator.metrics if hasattr(m, 'sources')),
        None)
    # the metric computes on the main process only; the others just predict
    if metric is None or (is_main_process() and not metric.sources):
        raise SystemExit('--compare needs the LodaaVOCMetric test metric')
    first = dict(metric.sources)
    if args.backend == 'pytorch':
        load_checkpoint_strict(model, args.compare, args.config)
    else:
        from lodaa_plugin.deployment import DeployedDetector
        model.deployed = DeployedDetector(args.compare, args.backend,
                                          args.precision, args.graph)
        _check_export_classes(runner, model, args, args.compare)
    runner.test()
    if not is_main_process():
        return
    num_images = len(next(iter(first.values())).classes[0].num_gts)
    settings = metric.interval or {}
    for key in first:
        pair = paired_difference([first[key]], [metric.sources[key]],
                                 num_images,
                                 resamples=int(
                                     settings.get('resamples', 1000)),
                                 seed=int(settings.get('seed', 0)))
        print(f'{key}, {num_images} test images: ' +
              pair.describe(args.checkpoint, args.compare))


def _check_export_classes(runner, model, args, export_dir=None) -> None:
    """Refuse to score an export whose classes are not the test set's."""
    exported = list(model.deployed.classes)
    dataset = list(runner.test_dataloader.dataset.metainfo['classes'])
    if exported != dataset:
        raise SystemExit(
            f'{export_dir or args.checkpoint}: exported for classes '
            f'{exported}, but the '
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
