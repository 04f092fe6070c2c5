# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Training-loss curves from an mmengine run's scalar log."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

DEFAULT_KEYS = ('loss_cls', 'loss_bbox', 'loss_centerness', 'loss')


def find_scalars_file(path: str) -> str:
    """Find the newest ``vis_data/scalars.json`` under a work dir (or the
    file itself).

    Args:
        path (str): A run's work dir, one of its timestamp folders, or a
            scalars/json log file.

    Returns:
        str: The scalar log to read.
    """
    if osp.isfile(path):
        return path
    candidates = sorted(
        glob.glob(
            osp.join(path, '**', 'vis_data', 'scalars.json'), recursive=True),
        key=osp.getmtime)
    if not candidates:
        raise FileNotFoundError(
            f'no vis_data/scalars.json under {path}: is it the work dir of '
            'an mmengine run with LocalVisBackend?')
    return candidates[-1]


def read_scalars(path: str) -> List[Dict]:
    """Read the training records (those with a loss) of a scalar log, in
    order.

    Args:
        path (str): ``scalars.json`` (one JSON object a line).

    Returns:
        list[dict]: Records with ``step`` and the logged values.
    """
    records = []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{line_no}: not JSON ({err})')
            if 'loss' in record:
                record.setdefault('step', record.get('iter', len(records)))
                records.append(record)
    if not records:
        raise ValueError(f'{path} holds no training losses')
    return records


def plot_losses(scalars_path: str,
                out_file: str,
                keys: Optional[Sequence[str]] = None,
                title: str = '') -> str:
    """Plot the losses of a run over iterations into a PNG.

    Args:
        scalars_path (str): ``scalars.json`` of the run (see
            :func:`find_scalars_file`).
        out_file (str): The PNG to write.
        keys (Sequence[str], optional): Loss names to plot, each of which
            the log must hold. Defaults to None: those of ``DEFAULT_KEYS``
            the log holds.
        title (str): Figure title. Defaults to ``''``.

    Returns:
        str: ``out_file``.

    Raises:
        ValueError: A named key is not in the log, or none of the default
            ones is; the message lists the log's numeric keys.
    """
    records = read_scalars(scalars_path)
    logged = sorted({
        k
        for r in records
        for k, v in r.items()
        if k not in ('step', 'iter', 'epoch') and isinstance(v, (int, float))
    })
    if keys is None:
        keys = [k for k in DEFAULT_KEYS if k in logged]
        missing = [] if keys else list(DEFAULT_KEYS)
    else:
        missing = [k for k in keys if k not in logged]
    if missing:
        raise ValueError(f'{scalars_path}: no {", ".join(missing)} logged; '
                         f'it holds {", ".join(logged) or "no numbers"}')
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    for key in keys:
        points = [(r['step'], r[key]) for r in records if key in r]
        steps, values = zip(*points)
        ax.plot(
            steps,
            values,
            label=key,
            marker='o' if len(steps) < 20 else None,
            markersize=3,
            linewidth=2.2 if key == 'loss' else 1.4)
    ax.set_xlabel('iteration')
    ax.set_ylabel('loss')
    ax.set_title(
        title
        or osp.basename(osp.dirname(osp.dirname(osp.abspath(scalars_path)))))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_file)
    plt.close(fig)
    return out_file
