# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Per-class average precision table for multi-label VOC classification."""
from typing import Dict, List

import torch
from mmengine.logging import MMLogger
from mmpretrain.evaluation import VOCAveragePrecision
from mmpretrain.registry import METRICS
from terminaltables import AsciiTable


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

    Args:
        **kwargs: Everything :class:`VOCAveragePrecision` accepts except
            ``average``.
    """

    def __init__(self, **kwargs) -> None:
        kwargs['average'] = None
        super().__init__(**kwargs)

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
        rows = [['class', 'AP', 'positives', 'ignored (difficult)']]
        for i, name in enumerate(classes):
            rows.append([
                name,
                f'{metrics["AP_classwise"][i]:.2f}' if positives[i] else 'n/a',
                int(positives[i]),
                int((target[:, i] == -1).sum())
            ])
        # AP is undefined for a class without positives: small test sets
        present = positives > 0
        per_class = torch.tensor(metrics['AP_classwise'], dtype=torch.float)
        mean = per_class[present].mean().item() if present.any() else 0.
        rows.append([f'mAP ({int(present.sum())})', f'{mean:.2f}', '', ''])
        absent = [name for name, p in zip(classes, present) if not p]
        title = (f'mAP = mean AP of the {int(present.sum())} classes with a '
                 'positive image')
        table = AsciiTable(rows, title=title)
        table.inner_footing_row_border = True
        note = ('' if not absent else
                f'\nleft out of the mAP, no positive image: '
                f'{", ".join(absent)}')
        MMLogger.get_current_instance().info('\n' + table.table + note)
        return dict(
            mAP=mean,
            AP_classwise=torch.where(present, per_class,
                                     float('nan')).tolist(),
            mAP_classes=int(present.sum()))
