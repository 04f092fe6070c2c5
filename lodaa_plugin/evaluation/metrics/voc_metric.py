# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""VOC detection mAP in both of the VOC devkit's definitions, and COCO's."""
import contextlib
import io
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation import VOCMetric
from mmdet.evaluation.functional import eval_map
from mmdet.registry import METRICS
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from ...compat.mean_ap import serial_eval_map
from .bootstrap import (FEW_OBJECTS, APSource, ClassMatches,
                        bootstrap_intervals, describe_method, format_interval,
                        sorted_matches)

EVAL_MODES = ('11points', 'area')
#: the switch's default: ``interval=None`` turns the intervals off
DEFAULT_INTERVAL = dict(resamples=1000, seed=0, level=0.95)
MODE_NAMES = {'11points': 'VOC07 11-point', 'area': 'area'}


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

    With ``interval`` every mAP (and each class's AP) gets a percentile
    bootstrap interval over the test images
    (:mod:`~lodaa_plugin.evaluation.metrics.bootstrap`): logged as
    ``0.842 [0.821, 0.861]`` with the resamples and seed, returned as
    ``mAP_low`` / ``mAP_high`` for the configured definition, all kept in
    :attr:`intervals` (and per class in :attr:`per_class`). The sizes'
    COCO APs get none. :attr:`sources` keeps the matching, for paired
    comparisons (:func:`~.bootstrap.paired_difference`).

    Args:
        coco_metrics (bool): Also report COCO-style AP. Defaults to True.
        interval (dict, optional): ``resamples``, ``seed`` and ``level``
            of the intervals; None turns them off. Defaults to
            :data:`DEFAULT_INTERVAL`.
        **kwargs: Everything :class:`mmdet.evaluation.VOCMetric` accepts.
    """

    def __init__(self,
                 coco_metrics: bool = True,
                 interval: Optional[dict] = DEFAULT_INTERVAL,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.coco_metrics = coco_metrics
        self.interval = None if interval is None else dict(
            DEFAULT_INTERVAL, **interval)
        self.intervals: Dict[str, dict] = {}
        self.sources: Dict[str, APSource] = {}

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
        self.intervals, self.sources = {}, {}
        modes = (self.eval_mode, ) + tuple(
            m for m in EVAL_MODES if m != self.eval_mode)
        record: List[tuple] = []
        for mode in modes:
            # the table is logged once, for the configured definition: by
            # mmdet, or with the intervals below
            table = mode == self.eval_mode and self.interval is None
            with serial_eval_map(record if mode == self.eval_mode else None):
                mean_ap, class_results = eval_map(
                    preds,
                    gts,
                    iou_thr=self.iou_thrs[0],
                    dataset=list(classes),
                    logger=logger if table else 'silent',
                    eval_mode=mode,
                    use_legacy_coordinate=True)
            metrics[f'mAP_{mode}'] = float(mean_ap)
            if mode == self.eval_mode:
                self.per_class = self._per_class(classes, class_results)
        metrics['mAP'] = metrics[f'mAP_{self.eval_mode}']
        metrics[f'AP{int(self.iou_thrs[0] * 100):02d}'] = metrics['mAP']
        metrics.move_to_end('mAP', last=False)
        coco_matches: List[ClassMatches] = []
        if self.coco_metrics:
            metrics.update(coco_ap(gts, preds, len(classes), coco_matches))
        self.sources = voc_sources(record, len(classes), len(gts))
        if coco_matches:
            self.sources.update(coco_sources(coco_matches))
        if self.interval is not None:
            self._add_intervals(metrics, len(gts), logger)
        elif self.coco_metrics:
            logger.info('COCO-style AP: ' + ', '.join(
                f'{k} {v:.4f}'
                for k, v in metrics.items() if k.startswith('coco_')))
        return metrics

    def _add_intervals(self, metrics: Dict[str, float], num_images: int,
                       logger: MMLogger) -> None:
        """Bootstrap every mAP's interval; log them and the class table."""
        settings = self.interval
        self.intervals = bootstrap_intervals(
            self.sources,
            num_images,
            resamples=int(settings['resamples']),
            seed=int(settings['seed']),
            level=float(settings['level']))
        for name, (low, high) in zip(
                self.per_class,
                self.intervals[f'mAP_{self.eval_mode}']['per_class']):
            self.per_class[name].update(ap_low=float(low), ap_high=float(high))
        low, high = self.intervals[f'mAP_{self.eval_mode}']['mean']
        metrics['mAP_low'], metrics['mAP_high'] = low, high
        logger.info('\n' + self._class_table())
        parts = [
            f'{MODE_NAMES.get(key[4:], key)} '
            f'{format_interval(metrics[key], *value["mean"])}'
            for key, value in self.intervals.items()
        ]
        how = describe_method(num_images, settings['resamples'],
                              settings['seed'])
        logger.info(f'mAP@0.5 and COCO-style AP with their '
                    f'{settings["level"]:.0%} intervals ({how}): ' +
                    ', '.join(parts))
        sizes = [k for k in COCO_KEYS[3:] if k in metrics]
        if sizes:
            logger.info('COCO-style AP by size (no interval): ' +
                        ', '.join(f'{k} {metrics[k]:.4f}' for k in sizes))

    def _class_table(self) -> str:
        level = f'{self.interval["level"]:.0%}'
        rows = [[
            'class', 'gts', 'dets', 'recall', f'ap [{level} interval]', 'note'
        ]]
        for name, entry in self.per_class.items():
            if entry['num_gts'] == 0:
                ap, note = 'n/a', 'no test object'
            else:
                ap = format_interval(entry['ap'], entry['ap_low'],
                                     entry['ap_high'])
                note = ('few test objects: wide interval'
                        if entry['num_gts'] < FEW_OBJECTS
                        and not np.isnan(entry['ap_low']) else '')
            rows.append([
                name, entry['num_gts'], entry['num_dets'],
                f'{entry["recall"]:.3f}', ap, note
            ])
        low, high = self.intervals[f'mAP_{self.eval_mode}']['mean']
        mean = [e['ap'] for e in self.per_class.values() if e['num_gts']]
        rows.append([
            f'mAP ({MODE_NAMES[self.eval_mode]})', '', '', '',
            format_interval(float(np.mean(mean)) if mean else 0.0, low, high),
            ''
        ])
        table = AsciiTable(rows)
        table.inner_footing_row_border = True
        return table.table

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


def voc_sources(record: List[tuple], num_classes: int,
                num_images: int) -> Dict[str, APSource]:
    """The VOC mAP keys' matches from a :func:`serial_eval_map` record.

    Args:
        record (list[tuple]): ``eval_map``'s matching, class by class.
        num_classes (int): Classes.
        num_images (int): Test images.

    Returns:
        dict[str, APSource]: ``mAP_11points`` and ``mAP_area``.
    """
    classes = []
    for c in range(num_classes):
        part = record[c * num_images:(c + 1) * num_images]
        scores, num_gts, tp, fp = zip(*part) if part else ((), ) * 4
        # mmdet ranks a class's detections with np.argsort's default sort
        classes.append(
            sorted_matches(scores, tp, fp, num_gts, kind='quicksort'))
    return {f'mAP_{mode}': APSource(classes, mode) for mode in EVAL_MODES}


def coco_sources(classes: List[ClassMatches]) -> Dict[str, APSource]:
    """The COCO-style AP keys with intervals (IoU .5:.95, .5, .75; all
    sizes) from :func:`coco_ap`'s matches.

    Args:
        classes (list[ClassMatches]): Per class, 10 IoU thresholds.

    Returns:
        dict[str, APSource]: ``coco_AP``, ``coco_AP50``, ``coco_AP75``.
    """
    return dict(
        coco_AP=APSource(classes, 'coco101'),
        coco_AP50=APSource(classes, 'coco101', 0),
        coco_AP75=APSource(classes, 'coco101', 5))


def coco_ap(gts: Sequence[dict],
            preds: Sequence[List[np.ndarray]],
            num_classes: int,
            matches: Optional[List[ClassMatches]] = None) -> Dict[str, float]:
    """Compute COCO's box AP for VOC-style annotations and detections.

    Args:
        gts (Sequence[dict]): Per image ``bboxes``, ``labels`` and the
            ignored (``difficult``) ``bboxes_ignore``, ``labels_ignore``,
            x1y1x2y2 pixels, as mmdet's VOCMetric collects them.
        preds (Sequence[list[np.ndarray]]): Per image and class, (n, 5)
            x1y1x2y2 boxes with their scores.
        num_classes (int): Number of classes.
        matches (list, optional): Filled with each class's
            :class:`~.bootstrap.ClassMatches` (all sizes, 100 detections
            per image, pycocotools' ten IoU thresholds).

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
    if matches is not None:
        matches.extend(_coco_matches(evaluator, len(gts), num_classes))
    return dict(zip(COCO_KEYS, (float(v) for v in evaluator.stats[:6])))


def _coco_matches(evaluator, num_images: int,
                  num_classes: int) -> List[ClassMatches]:
    """pycocotools' matching (area 'all', its largest maxDets) per class,
    ranked as its ``accumulate`` does."""
    areas = len(evaluator.params.areaRng)
    thresholds = len(evaluator.params.iouThrs)
    none = np.zeros((thresholds, 0), bool)
    classes = []
    for k in range(num_classes):
        scores, tp, fp, num_gts = [], [], [], []
        for i in range(num_images):
            e = evaluator.evalImgs[k * areas * num_images + i]
            if e is None:
                scores.append(np.zeros(0))
                tp.append(none)
                fp.append(none)
                num_gts.append(0)
                continue
            matched = np.asarray(e['dtMatches']).reshape(thresholds, -1) > 0
            ignored = np.asarray(e['dtIgnore'], bool).reshape(thresholds, -1)
            scores.append(np.asarray(e['dtScores'], np.float64))
            tp.append(matched & ~ignored)
            fp.append(~matched & ~ignored)
            num_gts.append(int((np.asarray(e['gtIgnore']) == 0).sum()))
        classes.append(
            sorted_matches(scores, tp, fp, num_gts, kind='mergesort'))
    return classes
