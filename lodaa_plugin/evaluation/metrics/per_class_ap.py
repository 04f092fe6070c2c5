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
    """VOC per-class AP (difficult-only labels ignored), logged as a table
    of class, AP and number of positive and ignored images, and returned as
    ``AP_classwise`` (percent, class order of the dataset) with
    ``mAP_present``, the mean over the classes that have positives (on the
    full VOC07 test set, all 20: then it equals ``mAP``).

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
            dict: ``AP_classwise`` and ``mAP_present``.
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
        aps = torch.tensor(metrics['AP_classwise'])[positives > 0]
        metrics['mAP_present'] = aps.mean().item() if len(aps) else 0.
        rows.append(
            [f'mean of {len(aps)}', f'{metrics["mAP_present"]:.2f}', '', ''])
        table = AsciiTable(rows)
        table.inner_footing_row_border = True
        MMLogger.get_current_instance().info('\n' + table.table)
        return metrics
