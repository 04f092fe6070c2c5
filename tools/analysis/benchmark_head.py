# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA's FCOS head against mmdet's FCOSHead on the same head outputs.

Times only what the two heads do differently: the losses from given head
outputs (target assignment, loss, backward to the outputs) and the
detections from given outputs (candidate selection, decoding, NMS). Both
heads get the same weights, outputs and boxes; the steps alternate.

    python tools/analysis/benchmark_head.py configs/fcos_voc_224.py \
        --batch 2 16
    python tools/analysis/benchmark_head.py configs/fcos_voc.py --size 512 \
        --batch 16 --device cuda
"""
import argparse
import copy
import math
import os.path as osp
import statistics
import sys

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.models.dense_heads.fcos_reg_centerness_head import \
    NOT_IN_MMDET_FCOS_HEAD
from lodaa_plugin.utils.cli_args import positive_int
from lodaa_plugin.utils.config_loading import read_config

# the benchmark harness lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks.timing import (describe_machine, paired_times,
                                        ratio_summary)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=positive_int, default=224)
    parser.add_argument(
        '--batch', type=positive_int, nargs='+', default=[2, 16])
    parser.add_argument(
        '--boxes',
        type=positive_int,
        default=4,
        help='ground-truth boxes per image')
    parser.add_argument('--steps', type=positive_int, default=20)
    return parser.parse_args()


def _heads(cfg: Config, device: str):
    head_cfg = copy.deepcopy(cfg.model.bbox_head)
    head_cfg.test_cfg = cfg.model.test_cfg
    torch.manual_seed(0)
    ours = MODELS.build(head_cfg).to(device)
    head_cfg.type = 'FCOSHead'
    for key in NOT_IN_MMDET_FCOS_HEAD:
        head_cfg.pop(key, None)
    ref = MODELS.build(head_cfg).to(device)
    ref.load_state_dict(ours.state_dict())
    return ours, ref


def main() -> None:
    args = parse_args()
    enable_compat()
    init_default_scope('mmdet')
    cfg = read_config(args.config)
    device = args.device
    ours, ref = _heads(cfg, device)
    head = cfg.model.bbox_head
    sizes = [math.ceil(args.size / s) for s in head.strides]
    print(f'{args.config} head: {args.size}x{args.size}, {args.boxes} boxes '
          f'per image, {device} ({describe_machine(device)}), median of '
          f'{args.steps} alternating steps after 3 warm-up steps')
    print(f'{"":<26}{"LODAA ms":>10}{"mmdet ms":>10}'
          f'{"speed-up [quartiles]":>24}')
    gen = torch.Generator().manual_seed(0)
    for batch in args.batch:
        outs = [[
            torch.randn(batch, c, s, s, generator=gen).to(device)
            for s in sizes
        ] for c in (head.num_classes, 4, 1)]
        outs[1] = [o.abs() for o in outs[1]]  # distances are positive
        gts = []
        for _ in range(batch):
            xy = torch.rand(args.boxes, 2, generator=gen) * args.size * 0.7
            wh = torch.rand(args.boxes, 2, generator=gen) * args.size * 0.3
            gts.append(
                InstanceData(
                    bboxes=torch.cat([xy, xy + wh + 8], 1).to(device),
                    labels=torch.randint(
                        head.num_classes, (args.boxes, ),
                        generator=gen).to(device)))
        metas = [
            dict(
                img_shape=(args.size, args.size),
                pad_shape=(args.size, args.size),
                scale_factor=(1., 1.))
        ] * batch
        leaves = [[o.clone().requires_grad_() for o in out] for out in outs]
        flat = [o for out in leaves for o in out]

        def loss(h) -> None:
            total = sum(h.loss_by_feat(*leaves, gts, metas).values())
            torch.autograd.grad(total, flat, allow_unused=True)

        def predict(h) -> None:
            with torch.no_grad():
                h.predict_by_feat(*outs, batch_img_metas=metas, rescale=True)

        for name, step in (('loss + backward', loss), ('detections', predict)):
            times = paired_times(
                dict(lodaa=lambda: step(ours), mmdet=lambda: step(ref)),
                args.steps,
                warmup=3,
                device=device)
            a, b = (
                statistics.median(times[m]) * 1000 for m in ('lodaa', 'mmdet'))
            up = ratio_summary(times['mmdet'], times['lodaa'])
            print(f'{f"batch {batch}, {name}":<26}{a:>10.2f}{b:>10.2f}'
                  f'{up["median"]:>9.2f}x [{up["q1"]:.2f}-{up["q3"]:.2f}]')


if __name__ == '__main__':
    main()
