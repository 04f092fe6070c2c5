# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""2-D t-SNE of image features, coloured by class."""
from typing import Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

LABEL_RULES = ('rarest', 'first', 'mean')


def class_colours(num_classes: int) -> np.ndarray:
    """Pick (C, 3) distinct RGB colours in 0..1 (tab10, tab20, then hsv:
    tab20 pairs each colour with a lighter one, too alike for few
    classes)."""
    cmap = plt.get_cmap('tab10' if num_classes <=
                        10 else 'tab20' if num_classes <= 20 else 'hsv')
    return np.array([
        cmap(i / max(num_classes - 1, 1) if num_classes > 20 else i)[:3]
        for i in range(num_classes)
    ])


def image_colours(multi_hot: np.ndarray,
                  colours: np.ndarray,
                  rule: str = 'rarest') -> np.ndarray:
    """Colour each image by its classes.

    Args:
        multi_hot (np.ndarray): (N, C) 0/1 labels.
        colours (np.ndarray): (C, 3) class colours.
        rule (str): ``'rarest'``: the colour of the image's class that is
            rarest among these images (a cat on a sofa is a cat, not one of
            the many sofas); ``'first'``: of its lowest-index class;
            ``'mean'``: the mean colour of its classes (a colour no legend
            entry has). Images without a class are grey. Defaults to
            ``'rarest'``.

    Returns:
        np.ndarray: (N, 3) colours.
    """
    if rule not in LABEL_RULES:
        raise ValueError(f'rule must be one of {LABEL_RULES}, got {rule!r}')
    out = np.full((len(multi_hot), 3), 0.6)
    counts = multi_hot.sum(1)
    has = counts > 0
    if rule == 'mean':
        out[has] = multi_hot[has] @ colours / counts[has, None]
    elif rule == 'first':
        out[has] = colours[multi_hot[has].argmax(1)]
    else:
        frequency = multi_hot.sum(0)
        rarity = np.where(multi_hot[has] > 0, frequency, np.inf)
        out[has] = colours[rarity.argmin(1)]
    return out


def embed_tsne(features: np.ndarray,
               seed: int = 0,
               perplexity: float = 30.) -> np.ndarray:
    """Embed (N, D) features in 2-D with t-SNE (scikit-learn, PCA init).

    Args:
        features (np.ndarray): (N, D) features, N >= 3.
        seed (int): Random state. Defaults to 0.
        perplexity (float): t-SNE perplexity, capped below N. Defaults to 30.0.

    Returns:
        np.ndarray: (N, 2) embedding.
    """
    from sklearn.manifold import TSNE
    n = len(features)
    if n < 3:
        raise ValueError(f't-SNE needs at least 3 images, got {n}')
    return TSNE(
        n_components=2,
        perplexity=min(perplexity, (n - 1) / 3),
        init='pca',
        random_state=seed).fit_transform(features.astype(np.float32))


def plot_tsne(embedding: np.ndarray,
              multi_hot: np.ndarray,
              classes: Sequence[str],
              out_file: str,
              rule: str = 'rarest',
              title: str = '') -> str:
    """Scatter the embedding with a class legend into a PNG: one colour a
    class (:func:`image_colours`), images of several classes edged in
    black.

    Args:
        embedding (np.ndarray): (N, 2) points.
        multi_hot (np.ndarray): (N, C) labels.
        classes (Sequence[str]): Class names.
        out_file (str): The PNG to write.
        rule (str): Colour rule of :func:`image_colours`. Defaults to
            ``'rarest'``.
        title (str): Figure title. Defaults to ``''``.

    Returns:
        str: ``out_file``.
    """
    colours = class_colours(len(classes))
    fig, ax = plt.subplots(figsize=(10, 8), dpi=110)
    several = multi_hot.sum(1) > 1
    ax.scatter(
        embedding[:, 0],
        embedding[:, 1],
        s=36,
        c=image_colours(multi_hot, colours, rule),
        alpha=0.9,
        edgecolors=np.where(several[:, None], 0.0, 1.0).repeat(3, 1),
        linewidths=np.where(several, 0.9, 0.3))
    present = np.nonzero(multi_hot.sum(0))[0]
    handles = [
        Line2D([0], [0],
               marker='o',
               linestyle='',
               color=colours[i],
               label=f'{classes[i]} ({int(multi_hot[:, i].sum())})')
        for i in present
    ]
    if several.any():
        handles.append(
            Line2D([0], [0],
                   marker='o',
                   linestyle='',
                   color='white',
                   markeredgecolor='black',
                   label=f'several classes, by the {rule} ({several.sum()})'))
    ax.legend(
        handles=handles,
        loc='center left',
        bbox_to_anchor=(1.0, 0.5),
        fontsize=8,
        frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out_file)
    plt.close(fig)
    return out_file
