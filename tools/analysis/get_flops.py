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
from mmengine.config import DictAction

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.builders import build_model_without_weights
from lodaa_plugin.utils.cli_args import positive_int
from lodaa_plugin.utils.config_loading import read_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument(
        '--shape',
        type=positive_int,
        nargs='+',
        default=[224],
        help='input height [width]; one value for a square')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    if len(args.shape) > 2:
        parser.error(f'--shape takes HEIGHT [WIDTH], got {len(args.shape)} '
                     'values')
    enable_compat()
    cfg = read_config(args.config, args.cfg_options)
    model = build_model_without_weights(cfg)[0].eval()
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
