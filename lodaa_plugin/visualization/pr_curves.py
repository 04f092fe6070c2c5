# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Precision-recall curves of several detectors in one figure."""
from typing import Dict, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_pr_curves(curves: Dict[str, Tuple[np.ndarray, np.ndarray]],
                   out_file: str,
                   title: str = 'Precision-recall') -> str:
    """Draw one line per detector.

    Args:
        curves (dict): Legend label to ``(recall, precision)``.
        out_file (str): The PNG to write.
        title (str): Figure title. Defaults to 'Precision-recall'.

    Returns:
        str: ``out_file``.
    """
    fig, ax = plt.subplots(figsize=(6, 5))
    for label, (recall, precision) in curves.items():
        ax.plot(recall, precision, label=label, linewidth=1.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel('recall')
    ax.set_ylabel('precision (interpolated, mean over classes)')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc='lower left', fontsize=8)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
    return out_file
