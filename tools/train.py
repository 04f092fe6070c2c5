# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Train a LODAA model (detector or classifier) from a config.

    python tools/train.py configs/fcos_voc.py
    python tools/train.py configs/fcos_voc_224.py \
        --cfg-options train_dataloader.batch_size=4
    python tools/train.py configs/fcos_voc.py --ema --vis-backend tensorboard
    bash tools/dist_train.sh configs/fcos_voc.py 8
"""
import argparse
import os.path as osp
from typing import Optional

from lodaa_plugin.apis import (CheckpointMismatchError, find_resume_checkpoint,
                               load_checkpoint_strict)
from lodaa_plugin.compat import (PretrainedWeightsUnavailable, enable_compat,
                                 fetch_pretrained, prepare_distributed)
from lodaa_plugin.compat.registry_hints import enable_registry_hints
from lodaa_plugin.engine.hooks import (listen_for_preemption,
                                       release_unhooked_signals)
from lodaa_plugin.utils.builders import build_runner
from lodaa_plugin.utils.cli_args import add_common_args, add_vis_backend_arg
from lodaa_plugin.utils.config_edits import enable_amp, enable_ema
from lodaa_plugin.utils.config_loading import load_config
from lodaa_plugin.utils.dist import close_distributed
from lodaa_plugin.utils.model_wrapper import unwrap_model


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a LODAA model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (dynamic loss scaling for fp16)')
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        help='the autocast dtype with --amp (default: float16 on a GPU, '
        'bfloat16 on the CPU)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by (GPUs x batch) / auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a path from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--ema',
        action='store_true',
        help='keep an exponential moving average of the weights; validation '
        'and the saved state_dict use it (mmengine EMAHook)')
    add_vis_backend_arg(parser)
    add_common_args(parser)
    return parser.parse_args()


def _resume_point(cfg, resume: Optional[str]) -> Optional[str]:
    """Set up ``--resume``; return the checkpoint it continues from.

    Never a silent restart: without a ``last_checkpoint`` pointer the newest
    checkpoint that loads is taken; with none the run is refused, naming
    what was found.
    """
    if resume is None:
        return None
    cfg.resume = True
    if resume != 'auto':
        if not osp.isfile(resume):
            raise SystemExit(f'--resume {resume}: no such checkpoint')
        cfg.load_from = resume
        return resume
    found = find_resume_checkpoint(cfg.work_dir)
    if found.path is None:
        raise SystemExit(
            f'--resume: nothing in {cfg.work_dir} to resume from (' +
            '; '.join(found.notes) + '). Without --resume the run starts '
            'from scratch (and writes over that folder\'s checkpoints: '
            'give another --work-dir to keep them); --resume FILE names one.')
    if found.via_pointer:
        cfg.load_from = None  # mmengine follows the pointer itself
    else:
        print(f'--resume: {"; ".join(found.notes)}; resuming from '
              f'{found.path}, the newest checkpoint that loads')
        cfg.load_from = found.path
    return found.path


def main() -> None:
    args = parse_args()
    # SIGTERM / SIGUSR1 / Ctrl-C while the run is still being set up: noted,
    # and the PreemptionHook exits with 75 (130) before training (its docs)
    listen_for_preemption()
    enable_compat()
    enable_registry_hints()
    cfg = load_config(args)
    if args.amp:
        enable_amp(cfg, args.amp_dtype)
    if args.ema:
        enable_ema(cfg)
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError(
                f'{args.config} has no auto_scale_lr.base_batch_size; '
                '--auto-scale-lr needs it.')
        cfg.auto_scale_lr.enable = True
    if args.resume is None and cfg.get('resume'):  # resume=True in a config
        args.resume = cfg.get('load_from') or 'auto'
    resume_from = _resume_point(cfg, args.resume)
    try:  # offline without the weights: stop now, the fix in one line
        fetch_pretrained(cfg.model)
    except PretrainedWeightsUnavailable as error:
        raise SystemExit(f'{type(error).__name__}: {error}') from None
    # without CUDA: a gloo group, so the Runner skips its nccl init
    prepare_distributed(cfg)
    runner = build_runner(cfg)
    if resume_from is not None:
        # another model's checkpoint: refused before training, its layers
        # named, as tools/test.py does (mmengine warns, then fails inside
        # the optimizer)
        try:
            load_checkpoint_strict(
                unwrap_model(runner.model), resume_from, args.config)
        except CheckpointMismatchError as error:
            raise SystemExit(f'--resume: {error}') from None
    release_unhooked_signals(runner.hooks)
    runner.train()
    close_distributed()


if __name__ == '__main__':
    main()
