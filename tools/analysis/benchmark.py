# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's FCOS against torchvision's FCOS at the same model, side by side.

Builds LODAA's detector from a config and a torchvision ``FCOS`` with the same
backbone taps, FPN levels and widths, tower depth, GroupNorm and centre
sampling (each keeps its own losses), and loads LODAA's (random) weights into
it, so that both compute the same head outputs (checked and printed); inference
runs on copies that training leaves alone. Feeds both the same random images
and boxes; alternates them step by step after warm-up and reports training
images/s, batched inference images/s, batch-1 latency and peak memory.

    python tools/analysis/benchmark.py configs/fcos_voc_224.py --device cpu
    python tools/analysis/benchmark.py configs/fcos_voc.py --device cuda \
        --size 512 --batch 16 --amp bf16
"""
import argparse
import json
import os.path as osp
import statistics
import sys
from functools import partial

import torch

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.builders import build_model_without_weights
from lodaa_plugin.utils.cli_args import (fraction, non_negative_int,
                                         positive_int, prepare_output_file)
from lodaa_plugin.utils.config_loading import read_config

# the benchmark harness lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks.timing import (describe_machine, paired_times,
                                        profile_split, ratio_summary)
from projects.benchmarks.torchvision_fcos import (TwinSteps,
                                                  build_torchvision_fcos,
                                                  head_outputs, random_targets,
                                                  share_weights)

MODELS = ('lodaa', 'torchvision')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--size',
        type=positive_int,
        help='square input size '
        '(default: the config\'s test size or 224)')
    parser.add_argument('--batch', type=positive_int, default=2)
    parser.add_argument('--warmup', type=non_negative_int, default=2)
    parser.add_argument(
        '--iters',
        type=positive_int,
        default=5,
        help='timed steps per repeat and model')
    parser.add_argument(
        '--repeats',
        type=positive_int,
        default=3,
        help='the models alternate step by step over '
        'repeats x iters steps')
    parser.add_argument(
        '--amp', choices=['none', 'fp16', 'bf16'], default='none')
    parser.add_argument(
        '--boxes',
        type=positive_int,
        default=4,
        help='ground-truth boxes per image')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--score-thr',
        type=fraction,
        help='inference score threshold for both models '
        '(default: the config\'s); above 1, no detections '
        'and so the network alone')
    parser.add_argument('--out', help='write the results as JSON')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='also profile a few steps of each: time in '
        'convolutions vs the rest, and the top operators')
    args = parser.parse_args()
    prepare_output_file(parser, args.out, [args.config])
    return args


def main() -> None:
    args = parse_args()
    enable_compat()
    torch.manual_seed(args.seed)
    cfg = read_config(args.config)
    size = args.size or 224
    device = args.device
    gen = torch.Generator().manual_seed(args.seed)
    num_classes = cfg.model.bbox_head.num_classes
    # uint8-range images: LODAA normalises in its preprocessor, torchvision
    # in its transform (0-1 inputs)
    images = [
        torch.randint(
            0, 256, (3, size, size), generator=gen, dtype=torch.uint8)
        for _ in range(args.batch)
    ]
    targets = random_targets(args.batch, size, args.boxes, num_classes, gen)

    lodaa = build_model_without_weights(cfg)[0]
    tv = build_torchvision_fcos(cfg, size)
    share_weights(lodaa, tv)
    if args.score_thr is not None:
        lodaa.bbox_head.test_cfg.score_thr = args.score_thr
        tv.score_thresh = args.score_thr
    params = {
        n: sum(p.numel() for p in m.parameters())
        for n, m in (('lodaa', lodaa), ('torchvision', tv))
    }
    trainable = {
        n: sum(p.numel() for p in m.parameters() if p.requires_grad)
        for n, m in (('lodaa', lodaa), ('torchvision', tv))
    }
    twin = TwinSteps(lodaa, tv, images, targets, size, device, args.amp)
    same = head_outputs(twin.eval_models['lodaa'],
                        twin.eval_models['torchvision'],
                        [img.to(device)
                         for img in images], cfg.model.bbox_head.strides)
    same = {k: float((a - b).abs().max()) for k, (a, b) in same.items()}
    runs = {
        kind: {
            m: partial(step, m, *extra)
            for m in MODELS
        }
        for kind, step, extra in (('train', twin.train, ()), ('infer',
                                                              twin.infer, ()),
                                  ('latency', twin.infer, (1, )))
    }
    detections = {m: twin.infer(m) for m in MODELS}
    steps = args.repeats * args.iters
    samples, peak = {}, {}
    for kind, pair in runs.items():
        if device.startswith('cuda'):
            for model in MODELS:
                torch.cuda.reset_peak_memory_stats()
                pair[model]()
                peak[kind, model] = torch.cuda.max_memory_allocated() / 2**20
        times = paired_times(pair, steps, args.warmup, device)
        for model in MODELS:
            samples[kind, model] = times[model]

    rows = {}
    for (kind, model), secs in samples.items():
        med = statistics.median(secs)
        n = 1 if kind == 'latency' else args.batch
        rows.setdefault(kind, {})[model] = dict(
            median_seconds=med,
            images_per_second=n / med,
            latency_ms=med * 1000,
            peak_mib=peak.get((kind, model)))
    speedup = {
        kind: ratio_summary(samples[kind, 'torchvision'], samples[kind,
                                                                  'lodaa'])
        for kind in runs
    }
    machine = describe_machine(device)
    print(f'{args.config}: {size}x{size}, batch {args.batch}, amp '
          f'{args.amp}, {device} ({machine})')
    print(f'parameters (trainable): LODAA {params["lodaa"] / 1e6:.2f} M '
          f'({trainable["lodaa"] / 1e6:.2f} M), torchvision '
          f'{params["torchvision"] / 1e6:.2f} M '
          f'({trainable["torchvision"] / 1e6:.2f} M)')
    print(
        f'same weights, max |LODAA - torchvision| head outputs: class logits '
        f'{same["cls"]:.1e}, centerness logits {same["ctr"]:.1e}, box '
        f'distances {same["box"]:.1e} px')
    print(f'inference detections per image (score_thr '
          f'{twin.eval_models["lodaa"].bbox_head.test_cfg.score_thr}): LODAA '
          f'{detections["lodaa"]}, torchvision {detections["torchvision"]}')
    print(f'{"":<10}{"LODAA":>14}{"torchvision":>14}'
          f'{"speed-up, median [quartiles] of paired steps":>48}')
    for kind in ('train', 'infer', 'latency'):
        a, b = rows[kind]['lodaa'], rows[kind]['torchvision']
        up = speedup[kind]
        spread = f'{up["median"]:.2f}x [{up["q1"]:.2f}-{up["q3"]:.2f}]'
        if kind == 'latency':
            print(f'{"latency":<10}{a["latency_ms"]:>11.1f} ms'
                  f'{b["latency_ms"]:>11.1f} ms{spread:>48}')
        else:
            print(f'{kind + " img/s":<10}{a["images_per_second"]:>14.2f}'
                  f'{b["images_per_second"]:>14.2f}{spread:>48}')
    print(f'{args.repeats * args.iters} paired steps per row after '
          f'{args.warmup} warm-up steps each; peak memory only on CUDA')
    profiled = {}
    if args.profile:
        print('profile (ms per step): convolutions | everything else | '
              'top other operators')
        for kind, pair in runs.items():
            for model in MODELS:
                split = profile_split(pair[model], args.iters, device)
                profiled[f'{kind}/{model}'] = split
                print(f'  {kind:<8}{model:<12}{split["conv_ms"]:>8.1f} |'
                      f'{split["other_ms"]:>7.1f} | ' +
                      ', '.join(split['top']))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    config=args.config,
                    size=size,
                    batch=args.batch,
                    amp=args.amp,
                    device=device,
                    machine=machine,
                    torch=torch.__version__,
                    params=params,
                    trainable_params=trainable,
                    steps=args.repeats * args.iters,
                    results=rows,
                    speedup=speedup,
                    head_output_max_abs_diff=same,
                    detections_per_image=detections,
                    profile=profiled),
                f,
                indent=1)


if __name__ == '__main__':
    main()
