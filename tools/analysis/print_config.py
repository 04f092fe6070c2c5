# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Print a config as the tools will run it: bases merged, options applied.

    python tools/analysis/print_config.py configs/fcos_voc_224.py \\
        --cfg-options model.bbox_head.num_classes=3
"""
import argparse

from mmengine.config import DictAction

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.config_loading import read_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    enable_compat()
    print(read_config(args.config, args.cfg_options).pretty_text)


if __name__ == '__main__':
    main()
