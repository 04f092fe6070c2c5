# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""VOC detection mAP in both of the VOC devkit's definitions."""
from collections import OrderedDict
from typing import Dict, List

from mmdet.evaluation import VOCMetric
from mmdet.evaluation.functional import eval_map
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

EVAL_MODES = ('11points', 'area')


@METRICS.register_module()
class LodaaVOCMetric(VOCMetric):
    """mmdet's VOCMetric that reports both AP definitions and keeps the
    per-class numbers.

    ``mAP`` is the configured ``eval_mode`` (``'11points'``: VOC2007's
    11-point interpolated AP; ``'area'``: VOC2010+'s area under the
    monotone precision-recall curve), ``mAP_11points`` and ``mAP_area`` are
    both, all at IoU 0.5 with the devkit's +1 pixel areas and ``difficult``
    boxes ignored. After evaluation :attr:`per_class` maps each class to
    its AP, ground-truth count and recall (for tables and JSON).
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute mAP in both definitions from the processed results.

        Args:
            results (list): ``(annotation, detections)`` per image.

        Returns:
            dict[str, float]: ``mAP``, ``AP50``, ``mAP_11points``,
            ``mAP_area``.
        """
        if self.metric != 'mAP' or len(self.iou_thrs) != 1:
            return super().compute_metrics(results)
        logger: MMLogger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        classes = self.dataset_meta['classes']
        metrics = OrderedDict()
        self.per_class: Dict[str, Dict] = {}
        for mode in (self.eval_mode, ) + tuple(
                m for m in EVAL_MODES if m != self.eval_mode):
            mean_ap, class_results = eval_map(
                preds,
                gts,
                iou_thr=self.iou_thrs[0],
                dataset=list(classes),
                # the table is logged once, for the configured definition
                logger=logger if mode == self.eval_mode else 'silent',
                eval_mode=mode,
                use_legacy_coordinate=True)
            metrics[f'mAP_{mode}'] = float(mean_ap)
            if mode == self.eval_mode:
                self.per_class = self._per_class(classes, class_results)
        metrics['mAP'] = metrics[f'mAP_{self.eval_mode}']
        metrics[f'AP{int(self.iou_thrs[0] * 100):02d}'] = metrics['mAP']
        metrics.move_to_end('mAP', last=False)
        return metrics

    @staticmethod
    def _per_class(classes: List[str], class_results: List[dict]) -> Dict:
        table = {}
        for name, res in zip(classes, class_results):
            recall = res['recall']
            table[name] = dict(
                ap=float(res['ap']),
                num_gts=int(res['num_gts']),
                num_dets=int(res['num_dets']),
                recall=float(recall[-1]) if recall.size else 0.0)
        return table
