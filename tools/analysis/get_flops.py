# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Count a detector's parameters and FLOPs at an input size (the network
alone: no pre- or post-processing; a multiply-add counts as one FLOP, as
mmengine's counter does).

    python tools/analysis/get_flops.py configs/fcos_voc_224.py --shape 224
    python tools/analysis/get_flops.py configs/fcos_voc.py --shape 608 800
"""
import argparse

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.cli import check_option_keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[224],
        help='input height [width]; one value for a square')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    enable_compat()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_option_keys(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    scope = cfg.get('default_scope', 'mmdet')
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['MODELS'])
    if 'init_cfg' in cfg.model.get('backbone', {}):
        cfg.model.backbone.init_cfg = None  # counting needs no weights
    model = registry.MODELS.build(cfg.model).eval()
    height, width = (args.shape * 2)[:2]
    info = get_model_complexity_info(
        model,
        inputs=(torch.zeros(1, 3, height, width), ),
        show_table=False,
        show_arch=False)
    params = sum(p.numel() for p in model.parameters())
    print(f'{args.config} at {height}x{width}: {params / 1e6:.2f} M '
          f'parameters, {info["flops"] / 1e9:.2f} GFLOPs '
          f'({info["flops"]} FLOPs)')


if __name__ == '__main__':
    main()
