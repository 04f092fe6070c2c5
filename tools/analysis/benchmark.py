# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's FCOS against torchvision's FCOS at the same model, side by side.

Builds LODAA's detector from a config and a torchvision ``FCOS`` with the
same backbone taps, FPN levels and widths, tower depth, GroupNorm, centre
sampling and GIoU, and loads LODAA's (random) weights into it, so that both
compute the same head outputs (checked and printed); inference runs on copies
that training leaves alone. Feeds both the same random images and boxes;
alternates them step by step after warm-up and reports training images/s,
batched inference images/s, batch-1 latency and peak memory.

    python tools/analysis/benchmark.py configs/fcos_voc_224.py --device cpu
    python tools/analysis/benchmark.py configs/fcos_voc.py --device cuda --size 512 --batch 16 --amp bf16
"""
import argparse
import copy
import json
import os
import platform
import statistics
import time
from collections import OrderedDict
from functools import partial
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn
from torchvision.ops.misc import FrozenBatchNorm2d
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import lodaa_plugin  # noqa: F401


MODELS = ('lodaa', 'torchvision')
# torchvision FCOS decodes box distances in units of its anchor size; the
# twin's anchors are this many strides wide.
ANCHOR_STRIDES = 8


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=int, help='square input size '
                        '(default: the config\'s test size or 224)')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--iters', type=int, default=5,
                        help='timed steps per repeat and model')
    parser.add_argument('--repeats', type=int, default=3,
                        help='the models alternate step by step over '
                        'repeats x iters steps')
    parser.add_argument('--amp', choices=['none', 'fp16', 'bf16'],
                        default='none')
    parser.add_argument('--boxes', type=int, default=4,
                        help='ground-truth boxes per image')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--score-thr', type=float,
                        help='inference score threshold for both models '
                        '(default: the config\'s); above 1, no detections '
                        'and so the network alone')
    parser.add_argument('--out', help='write the results as JSON')
    parser.add_argument('--profile', action='store_true',
                        help='also profile a few steps of each: time in '
                        'convolutions vs the rest, and the top operators')
    return parser.parse_args()


def _random_targets(batch: int, size: int, boxes: int, num_classes: int,
                    gen: torch.Generator) -> List[Dict[str, torch.Tensor]]:
    targets = []
    for _ in range(batch):
        xy = torch.rand(boxes, 2, generator=gen) * size * 0.7
        wh = torch.rand(boxes, 2, generator=gen) * size * 0.3 + 8
        targets.append(
            dict(boxes=torch.cat([xy, (xy + wh).clamp(max=size - 1)], 1),
                 labels=torch.randint(num_classes, (boxes, ), generator=gen)))
    return targets


class _TvBackbone(nn.Module):
    """The same torchvision taps + FPN as the LODAA config, for torchvision
    FCOS (which wants an OrderedDict and ``out_channels``)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        from torchvision.models.feature_extraction import \
            create_feature_extractor
        from torchvision.ops.feature_pyramid_network import (
            FeaturePyramidNetwork, LastLevelP6P7)
        neck, backbone = cfg.model.neck, cfg.model.backbone
        # torchvision's detection recipe: frozen BatchNorm (as LODAA's
        # norm_eval) and the first stages frozen (as frozen_stages)
        tv = torchvision_model(
            backbone.model_name,
            norm_layer=FrozenBatchNorm2d if backbone.get('norm_eval', True)
            else None)
        stages = ['trunk_output.block1', 'trunk_output.block2',
                  'trunk_output.block3', 'trunk_output.block4'] \
            if backbone.model_name.startswith('regnet') else \
            ['layer1', 'layer2', 'layer3', 'layer4']
        frozen = backbone.get('frozen_stages', -1)
        if frozen >= 0:
            stem = [n for n, _ in tv.named_children()][:1 if backbone.
                                                       model_name.startswith(
                                                           'regnet') else 4]
            for name in stem + stages[:frozen]:
                for param in tv.get_submodule(name).parameters():
                    param.requires_grad = False
        self.body = create_feature_extractor(
            tv, {stages[i]: str(i) for i in backbone.out_indices})
        extra = None
        if neck.num_outs > len(backbone.out_indices):
            extra = LastLevelP6P7(neck.out_channels, neck.out_channels)
        self.fpn = FeaturePyramidNetwork(
            list(neck.in_channels), neck.out_channels, extra_blocks=extra)
        self.out_channels = neck.out_channels

    def forward(self, x: torch.Tensor) -> 'OrderedDict[str, torch.Tensor]':
        return self.fpn(self.body(x))


def torchvision_model(name: str, norm_layer=None) -> nn.Module:
    import torchvision
    kwargs = {} if norm_layer is None else dict(norm_layer=norm_layer)
    return torchvision.models.get_model(name, weights=None, **kwargs)


def build_torchvision_fcos(cfg: Config, size: int) -> nn.Module:
    """torchvision FCOS matching the LODAA config's model."""
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    head = cfg.model.bbox_head
    backbone = _TvBackbone(cfg)
    levels = len(head.strides)
    anchors = AnchorGenerator(
        sizes=tuple((s * ANCHOR_STRIDES, ) for s in head.strides),
        aspect_ratios=((1.0, ), ) * levels)
    model = FCOS(
        backbone,
        num_classes=head.num_classes,
        min_size=size,
        max_size=size,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
        anchor_generator=anchors,
        center_sampling_radius=head.center_sample_radius,
        score_thresh=cfg.model.test_cfg.score_thr,
        nms_thresh=cfg.model.test_cfg.nms.iou_threshold,
        detections_per_img=cfg.model.test_cfg.max_per_img,
        topk_candidates=cfg.model.test_cfg.nms_pre)
    # torchvision's towers are 4 conv-GN-ReLU at the FPN width; match depth
    from torchvision.models.detection.fcos import FCOSHead
    model.head = FCOSHead(backbone.out_channels, 1, head.num_classes,
                          num_convs=head.stacked_convs)
    return model


def share_weights(lodaa: nn.Module, tv: nn.Module) -> None:
    """Load LODAA's weights into its torchvision twin.

    LODAA's normalised head predicts ``relu(scale * reg) * stride``, the
    twin ``relu(reg') * ANCHOR_STRIDES * stride``; with one scale for all
    levels, ``reg' = reg * scale / ANCHOR_STRIDES`` gives the same boxes
    (exact under ReLU). BatchNorm counters have no twin.

    Args:
        lodaa (nn.Module): LODAA's detector, built from the config.
        tv (nn.Module): The twin from :func:`build_torchvision_fcos`.

    Raises:
        ValueError: If the head is not normalised, its per-level scales
            differ, or a parameter of either model has no counterpart.
    """
    head = lodaa.bbox_head
    scales = {s.scale.item() for s in head.scales}
    if not head.norm_on_bbox or len(scales) != 1:
        raise ValueError('weights can be shared only with norm_on_bbox=True '
                         f'and equal per-level scales, got {sorted(scales)}')
    box_factor = scales.pop() / ANCHOR_STRIDES
    renames = [('backbone.', 'backbone.body.'),
               ('bbox_head.conv_cls.', 'head.classification_head.cls_logits.'),
               ('bbox_head.conv_reg.', 'head.regression_head.bbox_reg.'),
               ('bbox_head.conv_centerness.',
                'head.regression_head.bbox_ctrness.')]
    fpn_in = len(lodaa.neck.lateral_convs)
    for i in range(fpn_in):
        renames.append((f'neck.lateral_convs.{i}.conv.',
                        f'backbone.fpn.inner_blocks.{i}.0.'))
    for i in range(len(lodaa.neck.fpn_convs)):
        extra = {fpn_in: 'p6', fpn_in + 1: 'p7'}.get(i)
        renames.append((f'neck.fpn_convs.{i}.conv.',
                        f'backbone.fpn.extra_blocks.{extra}.' if extra else
                        f'backbone.fpn.layer_blocks.{i}.0.'))
    for tower, twin in (('cls', 'classification'), ('reg', 'regression')):
        for i in range(head.stacked_convs):
            # torchvision's tower Sequential: conv, GroupNorm, ReLU per layer
            renames += [(f'bbox_head.{tower}_convs.{i}.conv.',
                         f'head.{twin}_head.conv.{3 * i}.'),
                        (f'bbox_head.{tower}_convs.{i}.gn.',
                         f'head.{twin}_head.conv.{3 * i + 1}.')]
    state = {}
    for name, value in lodaa.state_dict().items():
        if name.endswith('num_batches_tracked') or name.startswith(
                'bbox_head.scales.'):
            continue
        old, new = next(((o, n) for o, n in renames if name.startswith(o)),
                        (None, None))
        if old is None:
            raise ValueError(f'LODAA parameter {name} has no torchvision twin')
        if old == 'bbox_head.conv_reg.':
            value = value * box_factor
        state[new + name[len(old):]] = value
    missing, unexpected = tv.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f'weights do not match the torchvision twin: missing '
                         f'{missing}, unexpected {unexpected}')


def head_outputs(lodaa: nn.Module, tv: nn.Module, images: List[torch.Tensor],
                 strides: List[int]
                 ) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """Both models' head outputs on the same images, LODAA's laid out as
    torchvision's (images, locations, channels), boxes in pixels.

    Args:
        lodaa (nn.Module): LODAA's detector, in eval mode.
        tv (nn.Module): Its torchvision twin, in eval mode.
        images (list[Tensor]): RGB uint8 (3, H, W) images.
        strides (list[int]): The head's strides.

    Returns:
        dict: ``cls``, ``box`` and ``ctr`` map to pairs (LODAA, torchvision).
    """
    with torch.no_grad():
        # LODAA reads BGR like mmcv's image loading and converts to RGB
        data = lodaa.data_preprocessor(dict(
            inputs=[img.flip(0) for img in images]), False)
        cls, box, ctr = lodaa._forward(data['inputs'])
        batch, _ = tv.transform([img.float() / 255 for img in images])
        out = tv.head(list(tv.backbone(batch.tensors).values()))

    def flat(maps):
        return torch.cat([m.flatten(2).transpose(1, 2) for m in maps], 1)

    sizes = [m[0, 0].numel() for m in cls]
    anchor = torch.cat([
        torch.full((n, 1), float(s * ANCHOR_STRIDES), device=cls[0].device)
        for n, s in zip(sizes, strides)
    ])
    return dict(cls=(flat(cls), out['cls_logits']),
                box=(flat(box), out['bbox_regression'] * anchor),
                ctr=(flat(ctr), out['bbox_ctrness']))


def build_lodaa(cfg: Config) -> nn.Module:
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None  # speed does not depend on weights
    return MODELS.build(cfg.model)


def _lodaa_batch(images, targets, size):
    from mmdet.structures import DetDataSample
    samples = []
    for t in targets:
        sample = DetDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size),
            pad_shape=(size, size), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=t['boxes'],
                                           labels=t['labels'])
        sample.ignored_instances = InstanceData(
            bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long())
        samples.append(sample)
    data = dict(inputs=[img for img in images], data_samples=samples)
    return data


CONV_OPS = ('aten::mkldnn_convolution', 'aten::convolution_backward',
            'aten::cudnn_convolution', 'aten::_slow_conv2d_forward',
            'aten::_slow_conv2d_backward', 'aten::thnn_conv2d')


def profile_split(fn: Callable[[], object], steps: int,
                  device: str) -> Dict[str, object]:
    """Per-step milliseconds in convolution kernels and in everything else.

    Args:
        fn (Callable): One step.
        steps (int): Profiled steps.
        device (str): ``cpu`` or ``cuda``; CUDA counts kernel time.

    Returns:
        dict: ``conv_ms``, ``other_ms`` and the ``top`` five other
        operators by self time per step.
    """
    from torch.profiler import ProfilerActivity, profile
    cuda = device.startswith('cuda')
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA]
                                           if cuda else [])
    with profile(activities=activities) as prof:
        for _ in range(steps):
            fn()
        if cuda:
            torch.cuda.synchronize()
    conv = other = 0.
    others = []
    for event in prof.key_averages():
        us = (event.self_device_time_total if cuda else
              event.self_cpu_time_total) / steps
        if cuda and event.device_type.name != 'CUDA':
            continue  # host-side time overlaps the kernels
        if any(op in event.key for op in CONV_OPS) or (
                cuda and 'conv' in event.key.lower()):
            conv += us
        else:
            other += us
            others.append((us, event.key))
    top = [f'{key} {us / 1000:.1f}' for us, key in sorted(others)[::-1][:5]]
    return dict(conv_ms=conv / 1000, other_ms=other / 1000, top=top)


def _timer(device: str) -> Callable[[], float]:
    def now() -> float:
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        return time.perf_counter()
    return now


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(args.config)
    size = args.size or 224
    device = args.device
    gen = torch.Generator().manual_seed(args.seed)
    num_classes = cfg.model.bbox_head.num_classes
    # uint8-range images: LODAA normalises in its preprocessor, torchvision
    # in its transform (0-1 inputs)
    images = [torch.randint(0, 256, (3, size, size), generator=gen,
                            dtype=torch.uint8) for _ in range(args.batch)]
    targets = _random_targets(args.batch, size, args.boxes, num_classes, gen)

    lodaa = build_lodaa(cfg)
    tv = build_torchvision_fcos(cfg, size)
    share_weights(lodaa, tv)
    if args.score_thr is not None:
        lodaa.bbox_head.test_cfg.score_thr = args.score_thr
        tv.score_thresh = args.score_thr
    lodaa, tv = lodaa.to(device), tv.to(device)
    # Inference runs on copies that training does not move, so that both
    # models post-process the outputs of the same weights.
    eval_models = dict(lodaa=copy.deepcopy(lodaa).eval(),
                       torchvision=copy.deepcopy(tv).eval())
    same = head_outputs(eval_models['lodaa'], eval_models['torchvision'],
                        [img.to(device) for img in images],
                        cfg.model.bbox_head.strides)
    same = {k: float((a - b).abs().max()) for k, (a, b) in same.items()}
    optim_params = {
        'lodaa': [p for p in lodaa.parameters() if p.requires_grad],
        'torchvision': [p for p in tv.parameters() if p.requires_grad]
    }
    params = {n: sum(p.numel() for p in m.parameters())
              for n, m in (('lodaa', lodaa), ('torchvision', tv))}
    trainable = {n: sum(p.numel() for p in m.parameters() if p.requires_grad)
                 for n, m in (('lodaa', lodaa), ('torchvision', tv))}
    autocast = partial(torch.autocast, device_type=device.split(':')[0],
                       dtype=torch.bfloat16 if args.amp == 'bf16' else
                       torch.float16, enabled=args.amp != 'none')
    scaler = torch.amp.GradScaler(enabled=args.amp == 'fp16')
    optims = {
        name: torch.optim.SGD(ps, lr=1e-3, momentum=0.9)
        for name, ps in optim_params.items()
    }
    tv_images = [(img.float() / 255).to(device) for img in images]
    tv_targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
    # the same pixels: LODAA reads BGR and converts, torchvision takes RGB
    lodaa_data = _lodaa_batch([img.flip(0) for img in images], targets, size)

    def train_lodaa():
        data = lodaa.data_preprocessor(lodaa_data, True)
        with autocast():
            losses = lodaa(**data, mode='loss')
        loss, _ = lodaa.parse_losses(losses)
        optims['lodaa'].zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optims['lodaa'])
        scaler.update()
        return float(loss.detach())

    def train_tv():
        with autocast():
            losses = tv(tv_images, tv_targets)
        loss = sum(losses.values())
        optims['torchvision'].zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optims['torchvision'])
        scaler.update()
        return float(loss.detach())

    def infer_lodaa(n=args.batch):
        model = eval_models['lodaa']
        data = model.data_preprocessor(
            dict(inputs=lodaa_data['inputs'][:n],
                 data_samples=lodaa_data['data_samples'][:n]), False)
        with torch.no_grad(), autocast():
            return [len(r.pred_instances)
                    for r in model(**data, mode='predict')]

    def infer_tv(n=args.batch):
        with torch.no_grad(), autocast():
            return [len(r['boxes'])
                    for r in eval_models['torchvision'](tv_images[:n])]

    now = _timer(device)
    runs = {
        'train': dict(lodaa=lambda: (lodaa.train(), train_lodaa()),
                      torchvision=lambda: (tv.train(), train_tv())),
        'infer': dict(lodaa=infer_lodaa, torchvision=infer_tv),
        'latency': dict(lodaa=partial(infer_lodaa, 1),
                        torchvision=partial(infer_tv, 1)),
    }
    detections = dict(lodaa=infer_lodaa(), torchvision=infer_tv())
    for pair in runs.values():  # warm-up
        for fn in pair.values():
            for _ in range(args.warmup):
                fn()
    # Step by step, alternating which model goes first, so that a slower
    # or faster spell of a shared machine hits both alike.
    samples = {(kind, m): [] for kind in runs for m in MODELS}
    ratios = {kind: [] for kind in runs}
    peak = {}
    for step in range(args.repeats * args.iters):
        for kind, pair in runs.items():
            order = MODELS if step % 2 == 0 else MODELS[::-1]
            took = {}
            for model in order:
                if device.startswith('cuda'):
                    torch.cuda.reset_peak_memory_stats()
                start = now()
                pair[model]()
                took[model] = now() - start
                samples[kind, model].append(took[model])
                if device.startswith('cuda'):
                    peak[kind, model] = max(
                        peak.get((kind, model), 0),
                        torch.cuda.max_memory_allocated() / 2**20)
            ratios[kind].append(took['torchvision'] / took['lodaa'])

    rows = {}
    for (kind, model), secs in samples.items():
        med = statistics.median(secs)
        n = 1 if kind == 'latency' else args.batch
        rows.setdefault(kind, {})[model] = dict(
            median_seconds=med,
            images_per_second=n / med,
            latency_ms=med * 1000,
            peak_mib=peak.get((kind, model)))
    speedup = {}
    for kind, values in ratios.items():
        q1, med, q3 = statistics.quantiles(values, n=4) \
            if len(values) > 1 else values * 3
        speedup[kind] = dict(median=statistics.median(values), q1=q1, q3=q3)
    machine = (torch.cuda.get_device_name(device) if device.startswith(
        'cuda') else f'{platform.processor() or platform.machine()}, '
        f'{os.cpu_count()} CPU cores, {torch.get_num_threads()} threads')
    print(f'{args.config}: {size}x{size}, batch {args.batch}, amp '
          f'{args.amp}, {device} ({machine}), torch {torch.__version__}')
    print(f'parameters (trainable): LODAA {params["lodaa"] / 1e6:.2f} M '
          f'({trainable["lodaa"] / 1e6:.2f} M), torchvision '
          f'{params["torchvision"] / 1e6:.2f} M '
          f'({trainable["torchvision"] / 1e6:.2f} M)')
    print(f'same weights, max |LODAA - torchvision| head outputs: class logits '
          f'{same["cls"]:.1e}, centerness logits {same["ctr"]:.1e}, box '
          f'distances {same["box"]:.1e} px')
    print(f'inference detections per image (score_thr '
          f'{eval_models["lodaa"].bbox_head.test_cfg.score_thr}): LODAA '
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
                      f'{split["other_ms"]:>7.1f} | '
                      + ', '.join(split['top']))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, size=size, batch=args.batch,
                           amp=args.amp, device=device, machine=machine,
                           torch=torch.__version__, params=params,
                           trainable_params=trainable,
                           steps=args.repeats * args.iters,
                           results=rows, speedup=speedup,
                           head_output_max_abs_diff=same,
                           detections_per_image=detections,
                           profile=profiled), f, indent=1)


if __name__ == '__main__':
    main()
