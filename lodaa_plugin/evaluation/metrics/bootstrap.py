# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Percentile bootstrap intervals of AP over test images, and paired
differences of two models on the same images.

A resample draws the test images with replacement (multinomial counts per
image). Matching is per image (VOC's and COCO's), so a resample's AP is
exactly the AP of its detections and ground truth with each image counted
as many times as drawn: the detections of a class, sorted by score once,
with each true / false positive weighted by its image's count. Only the
true positives' places on the precision-recall curve matter (precision
peaks there), so one resample costs the true positives of each class plus
one sparse product over the false positives ahead of the last one.

The matching comes from the metric's own evaluation (mmdet's ``eval_map``
for VOC, pycocotools for COCO-style AP), recorded as :class:`ClassMatches`.
"""
import math
import warnings
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np
from scipy import sparse

#: AP definitions: VOC07's 11 recall points, the area under VOC2010+'s
#: monotone curve, COCO's 101 recall points, and the multi-label
#: classification AP (mean precision at each positive, mmpretrain's).
AP_MODES = ('11points', 'area', 'coco101', 'precision')
_RECALL_POINTS = {
    '11points': np.arange(0, 1 + 1e-3, 0.1),  # as mmdet's average_precision
    'coco101': np.linspace(.0, 1.00, 101),  # as pycocotools' recThrs
}
_EPS = float(np.finfo(np.float32).eps)
#: classes with fewer test objects than this are flagged in tables
FEW_OBJECTS = 10

# Below this a resample of the test images says nothing about other test
# images (one image: every resample is that image; an interval of width 0),
# so no interval is given rather than a falsely narrow one.
MIN_IMAGES = 10


class ClassMatches(NamedTuple):
    """One class's detections over the test set, in the metric's ranking
    order (score, descending), each a true or false positive (or neither:
    matched to an ignored object) at each IoU threshold.

    ``images`` (n,): the detection's image; ``tp`` / ``fp`` (T, n) bool;
    ``num_gts`` (num_images,): objects that count, per image.
    """
    images: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    num_gts: np.ndarray


def format_interval(value: float,
                    low: float,
                    high: float,
                    digits: int = 3) -> str:
    """``0.842 [0.821, 0.861]``.

    Args:
        value (float): The point estimate.
        low (float): Lower bound.
        high (float): Upper bound.
        digits (int): Decimals. Defaults to 3.

    Returns:
        str: The text (``[n/a]`` for an interval not computed).
    """
    if math.isnan(low) or math.isnan(high):
        return f'{value:.{digits}f} [n/a]'
    return f'{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]'


def describe_method(num_images: int, resamples: int, seed: int) -> str:
    """How the intervals were made, for logs and table notes.

    Args:
        num_images (int): Test images.
        resamples (int): Resamples.
        seed (int): Their seed.

    Returns:
        str: E.g. ``percentile bootstrap over the 4952 test images, 1000
        resamples, seed 0``.
    """
    images = f'{num_images} test image' + ('s' if num_images != 1 else '')
    if num_images < MIN_IMAGES:
        return f'no interval on {images}, fewer than {MIN_IMAGES}'
    return (f'percentile bootstrap over the {images}, {resamples} '
            f'resamples, seed {seed}')


def sorted_matches(scores: Sequence[np.ndarray], tp: Sequence[np.ndarray],
                   fp: Sequence[np.ndarray], num_gts: Sequence[int],
                   kind: str) -> ClassMatches:
    """Rank one class's per-image detections as its metric does.

    Args:
        scores (Sequence[np.ndarray]): Per image (n_i,) scores.
        tp (Sequence[np.ndarray]): Per image (T, n_i) true positives.
        fp (Sequence[np.ndarray]): Per image (T, n_i) false positives.
        num_gts (Sequence[int]): Per image objects that count.
        kind (str): Sort of ``np.argsort`` the metric uses (mmdet's
            ``'quicksort'``, pycocotools' ``'mergesort'``).

    Returns:
        ClassMatches: The class's matches.
    """
    counts = [len(s) for s in scores]
    images = np.repeat(np.arange(len(scores)), counts)
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    order = np.argsort(-all_scores, kind=kind)

    def stack(flags: Sequence[np.ndarray]) -> np.ndarray:
        flags = [np.asarray(f, bool).reshape(len(f), -1) for f in flags]
        if not flags:
            return np.zeros((1, 0), bool)
        return np.concatenate(flags, axis=1)[:, order]

    return ClassMatches(images[order], stack(tp), stack(fp),
                        np.asarray(num_gts, np.int64))


def resample_weights(num_images: int, resamples: int, seed: int) -> np.ndarray:
    """How often each test image is drawn in each resample.

    Args:
        num_images (int): Test images.
        resamples (int): Resamples.
        seed (int): Seed of the draws.

    Returns:
        np.ndarray: (resamples, num_images) counts, each row summing to
        ``num_images``.
    """
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, num_images, (resamples, num_images))
    drawn += np.arange(resamples)[:, None] * num_images
    return np.bincount(
        drawn.ravel(), minlength=resamples * num_images).reshape(
            resamples, num_images).astype(np.float64)


def weighted_ap(matches: ClassMatches, weights: np.ndarray,
                mode: str) -> np.ndarray:
    """The class's AP under each row of image weights.

    Args:
        matches (ClassMatches): The class's ranked detections.
        weights (np.ndarray): (B, num_images) image counts.
        mode (str): One of :data:`AP_MODES`.

    Returns:
        np.ndarray: (B, T) AP per row and IoU threshold; NaN where the
        weighted images hold no object of the class (AP undefined).
    """
    num_gts = weights @ matches.num_gts.astype(np.float64)
    # images by resample: a detection's weights are one contiguous row
    by_image = np.ascontiguousarray(weights.T)
    out = np.empty((len(weights), matches.tp.shape[0]))
    for t in range(matches.tp.shape[0]):
        out[:, t] = _ap_one_threshold(matches, t, by_image, num_gts, mode)
    out[num_gts <= 0] = np.nan
    return out


def _ap_one_threshold(matches: ClassMatches, t: int, by_image: np.ndarray,
                      num_gts: np.ndarray, mode: str) -> np.ndarray:
    """AP at one IoU threshold; arrays are (true positive, resample)."""
    resamples = by_image.shape[1]
    tp_at = np.flatnonzero(matches.tp[t])
    if not len(tp_at):
        return np.zeros(resamples)
    true = np.cumsum(by_image[matches.images[tp_at]], axis=0)
    # false positives ahead of each true positive: a sparse (which true
    # positive follows, image) count matrix, those after the last dropped
    fp_at = np.flatnonzero(matches.fp[t])
    fp_at = fp_at[fp_at < tp_at[-1]]
    counts = sparse.csr_matrix(
        (np.ones(len(fp_at)),
         (np.searchsorted(tp_at, fp_at), matches.images[fp_at])),
        shape=(len(tp_at), by_image.shape[0]))
    false = np.cumsum(counts @ by_image, axis=0)
    precision = true / np.maximum(true + false, _EPS)
    if mode == 'precision':  # mean precision at the positives
        gains = np.diff(true, axis=0, prepend=0)
        return (gains * precision).sum(0) / np.maximum(num_gts, _EPS)
    # precision envelope: the best precision at this recall or beyond
    envelope = np.maximum.accumulate(precision[::-1], axis=0)[::-1]
    if mode == 'area':
        gains = np.diff(true, axis=0, prepend=0)
        return (gains * envelope).sum(0) / np.maximum(num_gts, _EPS)
    points = _RECALL_POINTS[mode]
    recall = true / np.maximum(num_gts, _EPS)
    # the first true positive at each recall point: how many sit below it
    # (searchsorted on the points keeps the metric's exact comparisons)
    passed = np.searchsorted(points, recall, side='right')
    width = len(points) + 1
    columns = np.arange(resamples) * width
    below = np.bincount(
        (passed + columns).ravel(),
        minlength=resamples * width).reshape(resamples, width)
    first = np.cumsum(below, axis=1)[:, :len(points)]
    padded = np.concatenate([envelope, np.zeros((1, resamples))], axis=0)
    return np.take_along_axis(padded.T, first, axis=1).mean(1)


def mean_over_classes(per_class: np.ndarray) -> np.ndarray:
    """The mean over the classes with objects (NaN skipped; 0 if none, as
    mmdet's ``eval_map``).

    Args:
        per_class (np.ndarray): (B, C) from :func:`key_samples`.

    Returns:
        np.ndarray: (B,).
    """
    defined = ~np.isnan(per_class)
    total = np.where(defined, per_class, 0).sum(1)
    return np.where(defined.any(1), total / np.maximum(defined.sum(1), 1), 0.0)


def percentile_interval(samples: np.ndarray, level: float) -> tuple:
    """The percentile bootstrap interval (NaN resamples dropped).

    Args:
        samples (np.ndarray): (B, ...) resampled statistics.
        level (float): Coverage, e.g. 0.95.

    Returns:
        tuple: (low, high) arrays of the trailing shape.
    """
    tail = (1 - level) / 2 * 100
    with warnings.catch_warnings():  # a class without objects: NaN, said
        warnings.simplefilter('ignore', RuntimeWarning)
        low, high = np.nanpercentile(samples, [tail, 100 - tail], axis=0)
    return low, high


class APSource(NamedTuple):
    """What a metric key's AP is made of: the matches, the definition and
    which IoU threshold (None: the mean over all)."""
    classes: List[ClassMatches]
    mode: str
    threshold: Optional[int] = None


def key_samples(source: APSource,
                weights: np.ndarray,
                cache: Optional[dict] = None) -> np.ndarray:
    """Per-class AP samples of one metric key.

    Args:
        source (APSource): The key's matches and definition.
        weights (np.ndarray): (B, num_images) image counts.
        cache (dict, optional): Shared by keys of the same matches and
            definition (COCO's AP, AP50, AP75: one computation).

    Returns:
        np.ndarray: (B, C).
    """
    cache = {} if cache is None else cache
    known = (id(source.classes), source.mode)
    if known not in cache:
        cache[known] = [
            weighted_ap(m, weights, source.mode) for m in source.classes
        ]
    per_threshold = cache[known]
    return np.stack([
        ap.mean(1) if source.threshold is None else ap[:, source.threshold]
        for ap in per_threshold
    ],
                    axis=1)


def bootstrap_intervals(sources: Dict[str, APSource],
                        num_images: int,
                        resamples: int = 1000,
                        seed: int = 0,
                        level: float = 0.95) -> Dict[str, dict]:
    """Intervals of each key's mean AP and per-class AP, all from the same
    resamples.

    Args:
        sources (dict[str, APSource]): Metric key to its matches.
        num_images (int): Test images.
        resamples (int): Resamples. Defaults to 1000.
        seed (int): Seed. Defaults to 0.
        level (float): Coverage. Defaults to 0.95.

    Returns:
        dict: Per key ``mean`` (low, high) and ``per_class`` (C, 2); NaN
        bounds with fewer than :data:`MIN_IMAGES` test images.
    """
    weights = resample_weights(num_images, resamples, seed)
    out, cache = {}, {}
    for key, source in sources.items():
        per_class = key_samples(source, weights, cache)
        low, high = percentile_interval(mean_over_classes(per_class), level)
        class_low, class_high = percentile_interval(per_class, level)
        if num_images < MIN_IMAGES:
            low = high = np.nan
            class_low = class_high = np.full_like(class_low, np.nan)
        out[key] = dict(
            mean=(float(low), float(high)),
            per_class=np.stack([class_low, class_high], axis=1))
    return out


class PairedDifference(NamedTuple):
    """Model A's metric minus model B's on the same test images (and, with
    several training seeds, the same seeds), with its interval.

    ``seeds_needed``: training seeds whose interval would exclude 0 at the
    observed difference (None: not estimable, with one seed; -1: no number
    of seeds would: the test images' noise alone is wider).
    ``per_class``: (C, 3) each class's AP difference and its interval
    (NaN where a class has no test object).
    """
    difference: float
    low: float
    high: float
    level: float
    seeds: int
    per_seed: List[float]
    seeds_needed: Optional[int]
    per_class: np.ndarray

    @property
    def verdict(self) -> str:
        """``'ahead'`` / ``'behind'`` (the interval excludes 0),
        ``'level'``, or ``'undecided'`` (no interval: too few images)."""
        if math.isnan(self.low) or math.isnan(self.high):
            return 'undecided'
        if self.low > 0:
            return 'ahead'
        if self.high < 0:
            return 'behind'
        return 'level'

    def describe(self, a: str = 'A', b: str = 'B') -> str:
        """One sentence for logs and tables.

        Args:
            a (str): Name of the first model.
            b (str): Name of the second.

        Returns:
            str: E.g. ``A − B: +0.012 [0.004, 0.020]: A ahead at 95%``.
        """
        pct = f'{self.level:.0%}'
        if self.verdict == 'undecided':
            return (f'{a} − {b}: {self.difference:+.4f} [n/a]: undecided, '
                    f'no interval on fewer than {MIN_IMAGES} test images')
        text = (f'{a} − {b}: {self.difference:+.4f} [{self.low:+.4f}, '
                f'{self.high:+.4f}]: ')
        if self.verdict == 'level':
            text += f'level at {pct} (the interval holds 0)'
        else:
            text += f'{a} {self.verdict} at {pct}'
        if self.seeds == 1:
            text += '; one training seed: test-image noise only'
        elif self.seeds_needed == -1:
            text += ('; more seeds cannot resolve it, the test images\' '
                     'noise alone is wider')
        elif self.seeds_needed is not None and self.verdict == 'level':
            text += f'; about {self.seeds_needed} seeds would resolve it'
        return text


def paired_difference(sources_a: Sequence[APSource],
                      sources_b: Sequence[APSource],
                      num_images: int,
                      resamples: int = 1000,
                      seed: int = 0,
                      level: float = 0.95) -> PairedDifference:
    """The difference of two models' mean AP, A − B, with a bootstrap
    interval for both sources of noise.

    ``sources_a[s]`` and ``sources_b[s]`` are one training seed's runs of
    the two models, scored on the same test images. Each resample draws
    the test images once (the same counts for every run: the images are
    shared, so their noise is too) and the seeds with replacement (pairs
    kept), and takes the mean over the drawn seeds of A − B. With one seed
    only the test images' noise is covered.

    Args:
        sources_a (Sequence[APSource]): Model A's runs, one per seed.
        sources_b (Sequence[APSource]): Model B's runs, same seeds.
        num_images (int): Test images.
        resamples (int): Resamples. Defaults to 1000.
        seed (int): Seed of the draws. Defaults to 0.
        level (float): Coverage. Defaults to 0.95.

    Returns:
        PairedDifference: The difference and its interval.
    """
    if len(sources_a) != len(sources_b) or not sources_a:
        raise ValueError('paired_difference needs the same number (> 0) of '
                         f'runs of both models, got {len(sources_a)} and '
                         f'{len(sources_b)}')
    weights = np.concatenate([
        np.ones((1, num_images)),
        resample_weights(num_images, resamples, seed)
    ])
    means, classes = [], []
    for a, b in zip(sources_a, sources_b):
        class_a, class_b = key_samples(a, weights), key_samples(b, weights)
        means.append(mean_over_classes(class_a) - mean_over_classes(class_b))
        classes.append(class_a - class_b)
    means, classes = np.stack(means), np.stack(classes)  # (S, 1 + B, ...)
    point = [float(v) for v in means[:, 0]]
    runs = len(point)
    # the seeds drawn with replacement, the same image counts for all
    rng = np.random.default_rng(seed + 1)
    drawn = rng.integers(0, runs, (resamples, runs))
    columns = np.arange(1, resamples + 1)[:, None]
    if num_images < MIN_IMAGES:
        means[:, 1:], classes[:, 1:] = np.nan, np.nan
    low, high = percentile_interval(means[drawn, columns].mean(1), level)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        class_low, class_high = percentile_interval(
            np.nanmean(classes[drawn, columns], axis=1), level)
        class_point = np.nanmean(classes[:, 0], axis=0)
    difference = float(np.mean(point))
    return PairedDifference(
        difference, float(low), float(high), level, runs, point,
        None if num_images < MIN_IMAGES else _seeds_needed(
            point, means[:, 1:], difference, level),
        np.stack([class_point, class_low, class_high], axis=1))


def _seeds_needed(point: List[float], per_seed: np.ndarray, difference: float,
                  level: float) -> Optional[int]:
    """Seeds S at which z·sqrt(image variance + seed variance / S) falls
    below the observed difference (normal approximation)."""
    if len(point) < 2:
        return None
    z = _normal_quantile(0.5 + level / 2)
    image_var = float(np.var(per_seed.mean(0), ddof=1))
    seed_var = float(np.var(point, ddof=1))
    room = (abs(difference) / z)**2 - image_var
    if room <= 0:
        return -1
    return max(2, math.ceil(seed_var / room))


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm
    return float(norm.ppf(p))


def images_needed(low: float, high: float, value: float, bound: float,
                  num_images: int) -> Optional[int]:
    """Test images at which an interval around ``value`` would clear
    ``bound`` (its width shrinking as 1 / sqrt(images)).

    Args:
        low (float): Lower bound now.
        high (float): Upper bound now.
        value (float): The point estimate.
        bound (float): The value the interval must not hold.
        num_images (int): Test images now.

    Returns:
        int, optional: The images (at least :data:`MIN_IMAGES` when there
        is no interval yet); None when ``value`` is ``bound``.
    """
    if math.isnan(low) or math.isnan(high):
        return max(num_images, MIN_IMAGES)
    half = (high - low) / 2
    gap = abs(bound - value)
    if gap == 0:
        return None
    return max(num_images, math.ceil(num_images * (half / gap)**2))
