# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The VOC mAP of an exported model on a dataset, for comparing precisions
at export (needs the training environment: mmdet, the dataset), and the
INT8 gate: fp32 − INT8 paired on the same images, decided on its interval.
"""
import math
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np
from tqdm import tqdm

from .predictor import DeployedDetector

#: the mAP the INT8 gate decides on
GATE_KEY = 'mAP_11points'


def export_results(detector: DeployedDetector,
                   dataset,
                   indices: Sequence[int],
                   batch_size: int = 8,
                   desc: str = 'evaluating') -> List:
    """An export's detections on test images, paired with their truth.

    Args:
        detector (DeployedDetector): The export on one backend and
            precision.
        dataset (BaseDetDataset): The test set.
        indices (Sequence[int]): The images to score.
        batch_size (int): Images per batch. Defaults to 8.
        desc (str): Progress bar label. Defaults to ``'evaluating'``.

    Returns:
        list[ImageResult]: Per image, in ``indices`` order.
    """
    from ..evaluation.analysis import image_result
    results = []
    with tqdm(total=len(indices), desc=desc, unit='img') as bar:
        infos = [dataset.get_data_info(i) for i in indices]
        batches = detector.predict_many([i['img_path'] for i in infos],
                                        batch_size)
        for batch in batches:
            for r in batch:
                results.append(
                    image_result(infos[len(results)], r['bboxes'], r['scores'],
                                 r['labels']))
            bar.update(len(batch))
    return results


class Int8Decision(NamedTuple):
    """The INT8 gate's verdict.

    ``verdict``: ``'keep'`` (the interval of the drop lies within the
    tolerance), ``'refuse'`` (it lies beyond), ``'undecided'`` (it holds
    the tolerance: refused too, the INT8 model is not shown to be within)
    or ``'unchecked'`` (fp32 scores 0 on the images: nothing to compare;
    kept, and said so).
    ``images_needed``: test images at which the interval would clear the
    tolerance, for ``'undecided'``. ``worst_class``: the class that loses
    most, with its drop and interval.
    """
    verdict: str
    fp32: Dict[str, float]
    int8: Dict[str, float]
    drop: float
    low: float
    high: float
    tolerance: float
    images: int
    images_needed: Optional[int]
    worst_class: Optional[tuple]
    resamples: int
    seed: int
    level: float

    def describe(self) -> str:
        """The gate's printout: the numbers, the verdict and the rule.

        Returns:
            str: Lines for the console.
        """
        pct = f'{self.level:.0%}'
        lines = [
            f'{self.images} test images, VOC07 11-point mAP@0.5 (area '
            f'mAP@0.5): OpenVINO fp32 {self.fp32["mAP_11points"]:.4f} '
            f'({self.fp32["mAP_area"]:.4f}), INT8 '
            f'{self.int8["mAP_11points"]:.4f} ({self.int8["mAP_area"]:.4f})',
            f'INT8 loses {self.drop:+.4f} {_bounds(self.low, self.high)}'
            f' VOC07 mAP (fp32 − INT8 on the same images, {pct} paired '
            f'bootstrap, {self.resamples} resamples, seed {self.seed})'
        ]
        if self.worst_class is not None:
            name, drop, low, high = self.worst_class
            lines.append(f'worst class: {name} loses {drop:+.4f} '
                         f'{_bounds(low, high)} AP')
        tol = self.tolerance
        if self.verdict == 'keep':
            lines.append(f'within --int8-tolerance {tol} at {pct}: the '
                         f'upper bound {self.high:+.4f} is at most {tol}')
        elif self.verdict == 'refuse':
            lines.append(f'beyond --int8-tolerance {tol} at {pct}: even the '
                         f'lower bound {self.low:+.4f} exceeds it')
        elif self.verdict == 'unchecked':
            lines.append(
                f'NOT CHECKED: OpenVINO fp32 scores 0 on these {self.images} '
                'images, so the gate has nothing to compare. INT8 is kept '
                'unchecked (deploy.json says so); score it yourself, e.g. '
                'tools/test.py --backend openvino --precision int8, with '
                '--slice for a model made for sliced inference')
        elif math.isnan(self.low):
            from ..evaluation.metrics.bootstrap import MIN_IMAGES
            lines.append(
                f'undecided: no interval on {self.images} test images (fewer '
                f'than {MIN_IMAGES}), so INT8 is not shown to lose at most '
                f'{tol}; at least {self.images_needed} test images would '
                'decide (--eval-images N, 0: all)')
        else:
            more = (f'about {self.images_needed} test images would decide '
                    '(--eval-images N, 0: all)'
                    if self.images_needed else 'no number of images decides '
                    'a drop equal to the tolerance')
            lines.append(
                f'undecided: the interval holds --int8-tolerance {tol}, so '
                f'INT8 is not shown to lose at most {tol}; {more}')
        return '\n'.join(lines)


def _bounds(low: float, high: float) -> str:
    """``[+0.0012, +0.0043]``, or ``[n/a]`` with no interval."""
    if math.isnan(low) or math.isnan(high):
        return '[n/a]'
    return f'[{low:+.4f}, {high:+.4f}]'


def int8_decision(fp32_results: Sequence,
                  int8_results: Sequence,
                  dataset_meta: dict,
                  tolerance: float,
                  resamples: int = 1000,
                  seed: int = 0,
                  level: float = 0.95) -> Int8Decision:
    """Decide on an INT8 model from its detections and fp32's on the same
    test images: keep it when the upper bound of the paired interval of
    the VOC07 mAP drop (fp32 − INT8) is at most ``tolerance``.

    Args:
        fp32_results (Sequence[ImageResult]): fp32's detections.
        int8_results (Sequence[ImageResult]): INT8's, same images, order.
        dataset_meta (dict): The test set's meta (``classes``).
        tolerance (float): The largest VOC07 mAP drop allowed.
        resamples (int): Bootstrap resamples. Defaults to 1000.
        seed (int): Their seed. Defaults to 0.
        level (float): Coverage of the interval. Defaults to 0.95.

    Returns:
        Int8Decision: The verdict and its numbers.
    """
    from ..evaluation.analysis import score_results
    from ..evaluation.metrics.bootstrap import images_needed, paired_difference
    if [r.img_path for r in fp32_results] != \
            [r.img_path for r in int8_results]:
        raise ValueError('the INT8 gate compares fp32 and INT8 on the same '
                         'images, in the same order')
    scored = [
        score_results(r, dataset_meta, coco_metrics=False, interval=None)
        for r in (fp32_results, int8_results)
    ]
    pair = paired_difference([scored[0][1].sources[GATE_KEY]],
                             [scored[1][1].sources[GATE_KEY]],
                             len(fp32_results),
                             resamples=resamples,
                             seed=seed,
                             level=level)
    if pair.high <= tolerance:
        verdict, needed = 'keep', None
    elif pair.low > tolerance:
        verdict, needed = 'refuse', None
    else:
        verdict = 'undecided'
        needed = images_needed(pair.low, pair.high, pair.difference, tolerance,
                               len(fp32_results))
    worst = None
    drops = pair.per_class[:, 0]
    if not np.isnan(drops).all():
        c = int(np.nanargmax(drops))
        worst = (dataset_meta['classes'][c], *map(float, pair.per_class[c]))
    values = [{
        k: float(v[k])
        for k in ('mAP_11points', 'mAP_area')
    } for v, _ in scored]
    if max(values[0].values()) == 0:  # 0 vs 0: nothing was compared
        verdict, needed = 'unchecked', None
    return Int8Decision(verdict, values[0], values[1],
                        pair.difference, pair.low, pair.high, tolerance,
                        len(fp32_results), needed, worst, resamples, seed,
                        level)
