# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""VOC detection mAP in both of the VOC devkit's definitions, and COCO's."""
import contextlib
import io
from collections import OrderedDict
from typing import Dict, List, Sequence

import numpy as np
from mmdet.evaluation import VOCMetric
from mmdet.evaluation.functional import eval_map
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

from ...compat.mean_ap import serial_eval_map

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

    With ``coco_metrics`` it also reports COCO's numbers, computed by
    pycocotools on an in-memory conversion (``difficult`` boxes become
    ``iscrowd`` regions, which COCO ignores as VOC does): ``coco_AP``
    (AP@[.5:.95]), ``coco_AP50``, ``coco_AP75`` and ``coco_AP_s`` /
    ``_m`` / ``_l`` (areas below 32², to 96², above; -1 where the test set
    has no object of that size, as pycocotools reports it).

    Args:
        coco_metrics (bool): Also report COCO-style AP. Defaults to True.
        **kwargs: Everything :class:`mmdet.evaluation.VOCMetric` accepts.
    """

    def __init__(self, coco_metrics: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.coco_metrics = coco_metrics

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
        modes = (self.eval_mode, ) + tuple(
            m for m in EVAL_MODES if m != self.eval_mode)
        for mode in modes:
            with serial_eval_map():
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
        if self.coco_metrics:
            metrics.update(coco_ap(gts, preds, len(classes)))
            logger.info('COCO-style AP: ' + ', '.join(
                f'{k} {v:.4f}'
                for k, v in metrics.items() if k.startswith('coco_')))
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


COCO_KEYS = ('coco_AP', 'coco_AP50', 'coco_AP75', 'coco_AP_s', 'coco_AP_m',
             'coco_AP_l')


def coco_ap(gts: Sequence[dict], preds: Sequence[List[np.ndarray]],
            num_classes: int) -> Dict[str, float]:
    """Compute COCO's box AP for VOC-style annotations and detections.

    Args:
        gts (Sequence[dict]): Per image ``bboxes``, ``labels`` and the
            ignored (``difficult``) ``bboxes_ignore``, ``labels_ignore``,
            x1y1x2y2 pixels, as mmdet's VOCMetric collects them.
        preds (Sequence[list[np.ndarray]]): Per image and class, (n, 5)
            x1y1x2y2 boxes with their scores.
        num_classes (int): Number of classes.

    Returns:
        dict[str, float]: :data:`COCO_KEYS` from pycocotools' summary.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(box: np.ndarray) -> List[float]:
        x1, y1, x2, y2 = (float(v) for v in box[:4])
        return [x1, y1, x2 - x1, y2 - y1]

    annotations, detections = [], []
    for image, (gt, pred) in enumerate(zip(gts, preds)):
        for key, crowd in (('', 0), ('_ignore', 1)):
            for box, label in zip(gt[f'bboxes{key}'], gt[f'labels{key}']):
                x, y, w, h = xywh(box)
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=image,
                        category_id=int(label),
                        bbox=[x, y, w, h],
                        area=w * h,
                        iscrowd=crowd))
        for label, boxes in enumerate(pred):
            for box in boxes:
                detections.append(
                    dict(
                        image_id=image,
                        category_id=label,
                        bbox=xywh(box),
                        score=float(box[4])))
    if not annotations or not detections:
        return {key: 0.0 if annotations else -1.0 for key in COCO_KEYS}
    truth = COCO()
    truth.dataset = dict(
        images=[dict(id=i) for i in range(len(gts))],
        annotations=annotations,
        categories=[dict(id=c) for c in range(num_classes)])
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints
        truth.createIndex()
        evaluator = COCOeval(truth, truth.loadRes(detections), 'bbox')
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return dict(zip(COCO_KEYS, (float(v) for v in evaluator.stats[:6])))
