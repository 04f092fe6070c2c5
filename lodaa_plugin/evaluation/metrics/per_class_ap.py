# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Per-class average precision table for multi-label VOC classification."""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmpretrain.evaluation import VOCAveragePrecision
from mmpretrain.registry import METRICS
from terminaltables import AsciiTable

from .bootstrap import (APSource, ClassMatches, bootstrap_intervals,
                        describe_method, format_interval)
from .voc_metric import DEFAULT_INTERVAL


@METRICS.register_module()
class LodaaPerClassAP(VOCAveragePrecision):
    """Compute VOC multi-label mAP with one definition, and its table.

    AP per class as mmpretrain's ``VOCAveragePrecision`` (difficult-only
    labels ignored); ``mAP`` is their mean over the classes with at least
    one positive test image, as the VOC devkit and mmdet's detection mAP
    do. (mmpretrain's own ``mAP`` counts a class without positives as AP 0,
    so on a small split the two differ; LODAA reports this one only.) The
    log shows a table of class, AP, positive and ignored images, and names
    the classes left out. Returned: ``mAP``, ``AP_classwise`` (percent,
    dataset class order, NaN where undefined) and ``mAP_classes`` (how many
    classes the mean covers).

    With ``interval``, the mAP and each class's AP get a percentile
    bootstrap interval over the test images (the images resampled, each
    AP recomputed: :mod:`~lodaa_plugin.evaluation.metrics.bootstrap`),
    shown as ``85.3 [83.1, 87.2]`` with the resamples and seed and returned
    as ``mAP_low`` / ``mAP_high``.

    Args:
        interval (dict, optional): ``resamples``, ``seed`` and ``level``;
            None turns the intervals off. Defaults to
            ``LodaaVOCMetric``'s.
        **kwargs: Everything :class:`VOCAveragePrecision` accepts except
            ``average``.
    """

    def __init__(self,
                 interval: Optional[dict] = DEFAULT_INTERVAL,
                 **kwargs) -> None:
        kwargs['average'] = None
        super().__init__(**kwargs)
        self.interval = None if interval is None else dict(
            DEFAULT_INTERVAL, **interval)

    def compute_metrics(self, results: List[dict]) -> Dict[str, list]:
        """Compute the per-class AP and log its table.

        Args:
            results (list[dict]): ``pred_score`` and ``gt_score`` per image.

        Returns:
            dict: ``mAP``, ``AP_classwise`` and ``mAP_classes``.
        """
        metrics = super().compute_metrics(results)
        target = torch.stack([r['gt_score'] for r in results])
        classes = (self.dataset_meta
                   or {}).get('classes',
                              [str(i) for i in range(target.size(1))])
        positives = (target == 1).sum(0)
        # AP is undefined for a class without positives: small test sets
        present = positives > 0
        per_class = torch.tensor(metrics['AP_classwise'], dtype=torch.float)
        mean = per_class[present].mean().item() if present.any() else 0.
        intervals = None
        if self.interval is not None:
            pred = torch.stack([r['pred_score'] for r in results])
            intervals = bootstrap_intervals(
                dict(mAP=APSource(label_matches(pred, target), 'precision')),
                len(results),
                resamples=int(self.interval['resamples']),
                seed=int(self.interval['seed']),
                level=float(self.interval['level']))['mAP']
        heading = 'AP' if intervals is None else \
            f'AP [{self.interval["level"]:.0%} interval]'
        rows = [['class', heading, 'positives', 'ignored (difficult)']]

        def cell(value: float, bounds: Optional[tuple]) -> str:
            if bounds is None:
                return f'{value:.2f}'
            return format_interval(value, *(100 * b for b in bounds), 2)

        for i, name in enumerate(classes):
            rows.append([
                name,
                cell(metrics['AP_classwise'][i], None if intervals is None else
                     intervals['per_class'][i]) if positives[i] else 'n/a',
                int(positives[i]),
                int((target[:, i] == -1).sum())
            ])
        rows.append([
            f'mAP ({int(present.sum())})',
            cell(mean, None if intervals is None else intervals['mean']), '',
            ''
        ])
        absent = [name for name, p in zip(classes, present) if not p]
        title = (f'mAP = mean AP of the {int(present.sum())} classes with a '
                 'positive image')
        table = AsciiTable(rows, title=title)
        table.inner_footing_row_border = True
        note = ('' if not absent else
                f'\nleft out of the mAP, no positive image: '
                f'{", ".join(absent)}')
        if intervals is not None:
            note += (f'\n{self.interval["level"]:.0%} intervals: ' +
                     describe_method(
                         len(results), self.interval['resamples'],
                         self.interval['seed']))
        MMLogger.get_current_instance().info('\n' + table.table + note)
        out = dict(
            mAP=mean,
            AP_classwise=torch.where(present, per_class,
                                     float('nan')).tolist(),
            mAP_classes=int(present.sum()))
        if intervals is not None:
            out.update(
                mAP_low=100 * intervals['mean'][0],
                mAP_high=100 * intervals['mean'][1])
        return out


def label_matches(pred: torch.Tensor,
                  target: torch.Tensor) -> List[ClassMatches]:
    """Each class's images ranked by score as mmpretrain's AP ranks them,
    positives (target 1) and negatives (0); difficult (-1) left out.

    Args:
        pred (Tensor): (N, C) scores.
        target (Tensor): (N, C) 1, 0 or -1.

    Returns:
        list[ClassMatches]: Per class.
    """
    classes = []
    for c in range(target.size(1)):
        valid = torch.nonzero(target[:, c] > -1).flatten()
        order = valid[torch.argsort(pred[valid, c], dim=0, descending=True)]
        truth = target[order, c].numpy()
        classes.append(
            ClassMatches(order.numpy(), (truth == 1)[None], (truth == 0)[None],
                         (target[:, c] == 1).numpy().astype(np.int64)))
    return classes
