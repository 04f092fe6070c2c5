# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Check LODAA's batched FCOS post-processing on a device: the head's
predictions there equal mmdet's per-image path there and the batched path
on the CPU, on random head outputs (thousands of candidates); prints the
time of each.

    python tools/analysis/check_postprocess_device.py --device cuda
"""
import argparse
import copy
import time

import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope

import lodaa_plugin  # noqa: F401  (registers the head)
from lodaa_plugin.utils.cli_args import positive_int
from lodaa_plugin.utils.config_loading import read_config


def _rows(result) -> list:
    return sorted(
        zip(result.scores.cpu().round(decimals=5).tolist(),
            result.labels.cpu().tolist(),
            result.bboxes.cpu().tolist()))


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        abs(p[0] - q[0]) < 1e-4 and p[1] == q[1] and max(
            abs(u - v) for u, v in zip(p[2], q[2])) < 1e-2
        for p, q in zip(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--config', default='configs/fcos_voc.py')
    parser.add_argument('--batch', type=positive_int, default=8)
    args = parser.parse_args()
    init_default_scope('mmdet')
    from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
    from mmdet.registry import MODELS
    cfg = read_config(args.config)
    head = MODELS.build(
        dict(cfg.model.bbox_head, test_cfg=cfg.model.test_cfg)).eval()
    gen = torch.Generator().manual_seed(0)
    sizes = [(64 >> i, 64 >> i) for i in range(len(head.strides))]
    c = head.cls_out_channels
    outputs = ([
        torch.randn(args.batch, c, h, w, generator=gen) * 2 - 2
        for h, w in sizes
    ], [
        torch.rand(args.batch, 4, h, w, generator=gen) * 60 * (i + 1)
        for i, (h, w) in enumerate(sizes)
    ], [torch.randn(args.batch, 1, h, w, generator=gen) for h, w in sizes])
    metas = [dict(img_shape=(512, 500), scale_factor=(0.8, 0.9))] * args.batch

    def run(device, batched):
        maps = [[t.to(device) for t in level] for level in outputs]
        model = head.to(device)
        predict = model.predict_by_feat if batched else (
            lambda *a, **k: BaseDenseHead.predict_by_feat(model, *a, **k))

        def once():
            return predict(
                *maps,
                metas,
                cfg=ConfigDict(copy.deepcopy(dict(cfg.model.test_cfg))),
                rescale=True)

        once()
        if device != 'cpu':
            torch.cuda.synchronize()
        start = time.perf_counter()
        result = once()
        if device != 'cpu':
            torch.cuda.synchronize()
        return result, (time.perf_counter() - start) * 1000

    cpu, cpu_ms = run('cpu', True)
    mmdet, mmdet_ms = run(args.device, False)
    mine, mine_ms = run(args.device, True)
    ok = all(
        _same(_rows(a), _rows(c)) and _same(_rows(b), _rows(c))
        for a, b, c in zip(cpu, mmdet, mine))
    print(f'batched predictions on {args.device} equal mmdet per-image on '
          f'{args.device} and batched on cpu: {ok}; '
          f'{sum(len(r) for r in mine)} detections; ms per batch of '
          f'{args.batch}: mmdet per-image {mmdet_ms:.1f}, batched '
          f'{mine_ms:.1f} ({args.device}), batched {cpu_ms:.1f} (cpu)')
    if not ok:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
