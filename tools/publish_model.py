# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Publish a checkpoint: weights and meta only, SHA-256 in its name.

    python tools/publish_model.py work_dirs/fcos_voc/epoch_12.pth \\
        fcos_regnetx400mf_voc.pth
"""
import argparse
import os.path as osp

from lodaa_plugin.apis import publish_checkpoint
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.cli_args import add_unsafe_load_arg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='checkpoint written by training')
    parser.add_argument(
        'out_file', help='published name; -<sha256[:8]>.pth is added')
    add_unsafe_load_arg(parser)
    args = parser.parse_args()
    enable_compat()
    path = publish_checkpoint(args.in_file, args.out_file)
    print(f'published {args.in_file} as {path} '
          f'({osp.getsize(path) / 2**20:.1f} MiB)')


if __name__ == '__main__':
    main()
