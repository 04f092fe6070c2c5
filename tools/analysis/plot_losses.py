# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Plot the training losses of a run as a PNG.

    python tools/analysis/plot_losses.py work_dirs/fcos_voc_224 \
        --out losses.png
"""
import argparse

from lodaa_plugin.utils.cli_args import prepare_output_file
from lodaa_plugin.visualization import find_scalars_file, plot_losses
from lodaa_plugin.visualization.loss_curves import DEFAULT_KEYS


def main() -> None:
    parser = argparse.ArgumentParser(description='Plot training losses')
    parser.add_argument(
        'run', help="a work dir, or a run's vis_data/scalars.json")
    parser.add_argument('--out', default='losses.png', help='PNG to write')
    parser.add_argument(
        '--keys',
        nargs='+',
        help=f'names to plot (default: those of {" ".join(DEFAULT_KEYS)} '
        'the log holds)')
    parser.add_argument('--title', default='')
    args = parser.parse_args()
    scalars = find_scalars_file(args.run)
    prepare_output_file(parser, args.out, [scalars])
    print(f'read {scalars}')
    try:
        out = plot_losses(scalars, args.out, args.keys, args.title)
    except ValueError as error:
        raise SystemExit(f'plot_losses.py: {error}')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
