# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A confusion matrix drawn: shares per true class, counts written in."""
from typing import Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def plot_confusion_matrix(matrix: np.ndarray,
                          classes: Sequence[str],
                          out_file: str,
                          title: str = 'Confusion matrix') -> str:
    """Draw a matrix from
    :func:`~lodaa_plugin.evaluation.analysis.box_confusion_matrix`: colour is
    the share of the row, text the count.

    Args:
        matrix (np.ndarray): ``(C + 1, C + 1)`` counts, true class by row,
            the last row and column the background.
        classes (Sequence[str]): The ``C`` class names.
        out_file (str): The PNG to write.
        title (str): Figure title. Defaults to 'Confusion matrix'.

    Returns:
        str: ``out_file``.
    """
    names = list(classes) + ['background']
    rows = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(
        matrix, rows, out=np.zeros(matrix.shape, float), where=rows > 0)
    size = max(5., 0.45 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    image = ax.imshow(shares, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label='share of row')
    for (r, c), count in np.ndenumerate(matrix):
        if count:
            ax.text(
                c,
                r,
                str(count),
                ha='center',
                va='center',
                fontsize=7,
                color='white' if shares[r, c] > 0.6 else 'black')
    ax.set_xticks(range(len(names)), names, rotation=60, ha='right')
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel('detected as (background: missed)')
    ax.set_ylabel('true class (background: false positive)')
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
    return out_file
