# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The flags LODAA's launchers share, named and meaning as in mmdet's and
mmpretrain's tools, so a user of either finds the same command line."""
import argparse
import os
from typing import Callable, Iterable, Optional

from mmengine.config import DictAction

from .output_paths import input_overwritten, make_parent


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add the flags every launcher has (``--work-dir``, ``--cfg-options``,
    ``--launcher``, ``--local-rank``).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value (nested keys with dots, '
        'lists as key="[a,b]"), e.g. train_dataloader.batch_size=4')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (pytorch for torchrun / dist_train.sh)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_unsafe_load_arg(parser)


def add_unsafe_load_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--unsafe-load``, which sets ``LODAA_UNSAFE_LOAD=1``.

    Checkpoints and prediction ``.pkl`` files are otherwise loaded without
    running any of their code (:mod:`lodaa_plugin.compat.checkpoint`,
    :mod:`lodaa_plugin.evaluation.analysis.safe_pickle`).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument(
        '--unsafe-load',
        action=_UnsafeLoad,
        nargs=0,
        help='load checkpoints and .pkl files that hold arbitrary pickled '
        'objects (runs their code: only for files you trust)')


class _UnsafeLoad(argparse.Action):
    """Set ``LODAA_UNSAFE_LOAD=1`` for this process and its workers."""

    def __call__(self, parser, namespace, values, option_string=None):
        os.environ['LODAA_UNSAFE_LOAD'] = '1'
        setattr(namespace, self.dest, True)


def add_vis_backend_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--vis-backend`` (repeatable): where scalars and drawn images go
    besides the work dir's local files.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument(
        '--vis-backend',
        nargs='+',
        choices=['tensorboard', 'wandb'],
        default=[],
        help='also log to TensorBoard and/or Weights & Biases (offline '
        'unless WANDB_MODE=online; needs the [vis] extra)')


def add_deploy_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--backend``, ``--precision`` and ``--graph``: run a checkpoint
    in PyTorch, or an export of ``tools/deployment/export.py``.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument(
        '--backend',
        choices=['pytorch', 'onnxruntime', 'openvino'],
        default='pytorch',
        help='run the checkpoint in PyTorch, or an export folder (given '
        'instead of the checkpoint) with its own pre- and post-processing')
    parser.add_argument(
        '--precision',
        choices=['fp32', 'default', 'int8'],
        default='fp32',
        help="with --backend openvino: fp32, OpenVINO's default (bf16 on "
        'CPUs with native bf16), or int8 (an export made with --int8)')
    parser.add_argument(
        '--graph',
        choices=['end2end', 'network'],
        default='end2end',
        help='with --backend: the end-to-end graph (default) or the network '
        "alone, post-processed by the head's PyTorch function")


def add_slice_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--slice SIZE``, ``--overlap R``, ``--slice-whole``,
    ``--slice-merge`` and ``--slice-match``: sliced inference
    (:mod:`lodaa_plugin.slicing`).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
    """
    parser.add_argument(
        '--slice',
        type=positive_int,
        metavar='SIZE',
        help='detect in SIZE x SIZE tiles of each image (for small objects '
        'in large images), boxes merged across tiles')
    parser.add_argument(
        '--overlap',
        type=_number(float, 0.0, 0.95),
        default=0.2,
        help='with --slice: overlap ratio of neighbouring tiles')
    parser.add_argument(
        '--slice-whole',
        action='store_true',
        help='with --slice: also detect on the whole image (standard + '
        'sliced)')
    parser.add_argument(
        '--slice-merge',
        choices=['nms', 'nmm'],
        default='nms',
        help="with --slice: how tiles' boxes merge: class-aware NMS (the "
        "head's rule) or SAHI's non-maximum merging (the kept box grows to "
        'hold the ones it drops)')
    parser.add_argument(
        '--slice-match',
        choices=['iou', 'ios'],
        default='iou',
        help='with --slice: the overlap that matches boxes in the merge: '
        'IoU, or intersection over the smaller box')


def _number(kind: type,
            low: float,
            high: Optional[float] = None,
            low_open: bool = False) -> Callable[[str], float]:
    """Build an argparse ``type`` that parses ``kind`` and refuses values
    outside ``[low, high]`` (``low`` itself too with ``low_open``), so that
    a setting that cannot mean anything stops the tool by name instead of
    running with no output or ending in a bare traceback.

    Args:
        kind (type): ``int`` or ``float``.
        low (float): Smallest value.
        high (float, optional): Largest value. Defaults to None (none).
        low_open (bool): Refuse ``low`` itself. Defaults to False.

    Returns:
        Callable[[str], float]: The parser.
    """
    if high is not None:
        allowed = f'must be in [{low:g}, {high:g}]'
    else:
        allowed = f'must be {"more than" if low_open else "at least"} {low:g}'

    what = 'an integer' if kind is int else 'a number'

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'{text!r} is not {what}') from None
        if (value != value or value < low or (low_open and value == low)
                or (high is not None and value > high)):
            raise argparse.ArgumentTypeError(f'{text} {allowed}')
        return value

    return parse


# argparse types: counts of at least 1 or 0, scores and overlaps in [0, 1]
positive_int = _number(int, 1)
non_negative_int = _number(int, 0)
fraction = _number(float, 0.0, 1.0)
positive_float = _number(float, 0.0, low_open=True)
non_negative_float = _number(float, 0.0)


def refuse_overwriting_inputs(parser: argparse.ArgumentParser,
                              out: Optional[str],
                              inputs: Iterable[Optional[str]],
                              flag: str = '--out') -> None:
    """Stop the tool, as argparse does, when its output is one of its
    inputs (by path, link or any other name of the same file).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        out (str, optional): The output file; nothing to check when None.
        inputs (Iterable[str | None]): The files the tool reads.
        flag (str): The output's flag, for the message. Defaults to
            ``'--out'``.
    """
    overwritten = out and input_overwritten(out, inputs)
    if overwritten:
        parser.error(f'{flag} {out} is the input {overwritten}: writing it '
                     'would destroy the input; name another file')


def prepare_output_file(parser: argparse.ArgumentParser,
                        out: Optional[str],
                        inputs: Iterable[Optional[str]],
                        flag: str = '--out') -> None:
    """Check an output file before the work that makes it: not one of the
    inputs (:func:`refuse_overwriting_inputs`), and its folder made (and
    said) when missing, so that a long run does not end on an unwritable
    path.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        out (str, optional): The output file; nothing to do when None.
        inputs (Iterable[str | None]): The files the tool reads.
        flag (str): The output's flag, for the messages. Defaults to
            ``'--out'``.
    """
    refuse_overwriting_inputs(parser, out, inputs, flag)
    if not out:
        return
    try:
        made = make_parent(out)
    except NotADirectoryError as error:
        parser.error(f'{flag} {error}')
    if made:
        print(f'created the folder {made} for {flag} {out}')
