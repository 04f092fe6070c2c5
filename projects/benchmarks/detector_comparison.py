# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Accuracy of LODAA's FCOS against mmdet's stock FCOSHead and torchvision's
FCOS at the same data, model size, budget and seed
(``tools/analysis/compare_detectors.py``).

Every row is one config derived from the user's: only the detector (or one
head setting, for the ablation rows) changes. The data order, augmentation,
optimizer, schedule, batch, iterations and the backbone's starting weights
are the same, and each run records its first batch and starting backbone so
that this can be checked (:class:`~.run_record_hook.RunRecordHook`).
"""
import copy
import hashlib
import math
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, ConfigDict

from lodaa_plugin.json_files import JSONFileError, read_json

# settings mmdet's FCOSHead shares with LODAA's head that define the model's
# size and outputs; everything else is left at mmdet's defaults
_SIZE_KEYS = ('num_classes', 'in_channels', 'feat_channels', 'stacked_convs',
              'strides', 'regress_ranges', 'norm_cfg')


def _lodaa(head: dict) -> dict:
    return head


def _mmdet_stock(head: dict) -> dict:
    return dict(
        type='FCOSHead', **{k: head[k]
                            for k in _SIZE_KEYS if k in head})


def _centerness_on_cls(head: dict) -> dict:
    # mmdet's FCOSHead with every LODAA choice it has; its fusion is the
    # product, so this row changes placement and fusion together
    keep = dict(
        center_sampling=head.get('center_sampling', True),
        center_sample_radius=head.get('center_sample_radius', 1.5),
        norm_on_bbox=head.get('norm_on_bbox', True),
        conv_bias=head.get('conv_bias', True),
        loss_bbox=head.get('loss_bbox', dict(type='IoULoss', loss_weight=1.0)),
        centerness_on_reg=False)
    return dict(_mmdet_stock(head), **keep)


def _changed(**settings) -> Callable[[dict], dict]:

    def change(head: dict) -> dict:
        return dict(head, **settings)

    return change


def _box_loss(loss: str, weighting: str) -> Callable[[dict], dict]:
    return _changed(
        loss_bbox=dict(type=loss, loss_weight=1.0),
        bbox_loss_weighting=weighting)


# name -> (label, how the head config changes); 'torchvision_fcos' replaces
# the whole detector (see row_config)
ROWS: Dict[str, tuple] = {
    'lodaa': ('LODAA FCOS (as configured)', _lodaa),
    'mmdet_fcos': ("mmdet FCOSHead, mmdet's defaults", _mmdet_stock),
    'torchvision_fcos':
    ("torchvision FCOS (its losses and post-processing)", None),
    'product_fusion': ('LODAA, product score fusion instead of sqrt',
                       _changed(score_fusion='product')),
    'no_centre_sampling':
    ('LODAA, no centre sampling', _changed(center_sampling=False)),
    # the box loss and how it averages over positives, all four pairs
    'giou_centerness': ('LODAA, GIoU loss, centerness-weighted (mmdet)',
                        _box_loss('GIoULoss', 'centerness')),
    'giou_mean': ('LODAA, GIoU loss, plain mean (torchvision)',
                  _box_loss('GIoULoss', 'mean')),
    'iou_centerness': ('LODAA, IoU loss, centerness-weighted',
                       _box_loss('IoULoss', 'centerness')),
    'iou_mean': ('LODAA, IoU loss, plain mean', _box_loss('IoULoss', 'mean')),
    'centre_radius_1': ('LODAA, centre sampling radius 1.0 instead of 1.5',
                        _changed(center_sample_radius=1.0)),
    'centre_radius_2': ('LODAA, centre sampling radius 2.0 instead of 1.5',
                        _changed(center_sample_radius=2.0)),
    'centerness_on_cls':
    ('LODAA settings, centerness on the cls tower '
     '(mmdet FCOSHead: product fusion)', _centerness_on_cls),
}
MAIN_ROWS = ('lodaa', 'mmdet_fcos', 'torchvision_fcos')


def model_code_digest() -> str:
    """Digest of the code that defines every row's model and losses: LODAA's
    ``models/`` and this package's twin.

    Returns:
        str: A sha256 hex digest of those source files.
    """
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    digest = hashlib.sha256()
    for folder in ('models', 'benchmarks'):
        for root, dirs, files in os.walk(osp.join(package, folder)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith('.py'):
                    path = osp.join(root, name)
                    digest.update(osp.relpath(path, package).encode())
                    with open(path, 'rb') as f:
                        digest.update(f.read())
    return digest.hexdigest()


def save_starting_backbone(cfg: Config, seed: int, path: str) -> str:
    """Write the backbone weights every row starts from: the config's
    pretrained weights, or random ones drawn with ``seed``.

    Args:
        cfg (Config): The user's config.
        seed (int): Seed of the random weights.
        path (str): The state dict file to write.

    Returns:
        str: ``path``.
    """
    from lodaa_plugin.utils.builders import build_model_without_weights
    cfg = copy.deepcopy(cfg)
    init_cfg = cfg.model.backbone.get('init_cfg')
    torch.manual_seed(seed)
    model = build_model_without_weights(cfg)[0]  # random backbone, no init_cfg
    if init_cfg:
        cfg.model.backbone.init_cfg = init_cfg
        model.backbone.init_cfg = init_cfg
        model.backbone.init_weights()
    torch.save(model.backbone.state_dict(), path)
    return path


def row_config(cfg: Config, row: str, backbone_init: str,
               predictions: str) -> Config:
    """Derive one row's config from the user's.

    Args:
        cfg (Config): The user's config (not changed).
        row (str): A key of :data:`ROWS`.
        backbone_init (str): The starting backbone's state dict file.
        predictions (str): Where the final validation dumps detections.

    Returns:
        Config: The row's config.
    """
    cfg = copy.deepcopy(cfg)
    model = cfg.model
    model.backbone.init_cfg = dict(type='Pretrained', checkpoint=backbone_init)
    if row == 'torchvision_fcos':
        cfg.model = ConfigDict(
            type='TorchvisionFCOSDetector',
            twin_of=model,
            backbone_init=backbone_init,
            data_preprocessor=model.data_preprocessor)
    else:
        model.bbox_head = ConfigDict(ROWS[row][1](dict(model.bbox_head)))
    imports = list(cfg.custom_imports.imports)
    for module in ('projects.benchmarks.run_record_hook',
                   'projects.benchmarks.torchvision_detector'):
        if module not in imports:
            imports.append(module)
    cfg.custom_imports.imports = imports
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='RunRecordHook', backbone_init=backbone_init)
    ]
    metric = cfg.val_evaluator
    metrics = list(metric) if isinstance(metric, list) else [metric]
    cfg.val_evaluator = metrics + [
        dict(type='DumpDetResults', out_file_path=predictions)
    ]
    return cfg


def evaluate_predictions(predictions: str, dataset) -> dict:
    """VOC and COCO-style AP (LodaaVOCMetric) and the mean precision-recall
    curve of saved detections.

    Args:
        predictions (str): ``.pkl`` of ``DumpDetResults``.
        dataset (BaseDetDataset): The test set.

    Returns:
        dict: The metric's values (``mAP`` is VOC07 11-point), and
        ``pr_recall`` / ``pr_precision`` lists.
    """
    from lodaa_plugin.evaluation.analysis import (load_predictions,
                                                  mean_pr_curve,
                                                  voc_metric_values)
    classes = list(dataset.metainfo['classes'])
    results = load_predictions(predictions, dataset)
    values = voc_metric_values(results, dataset.metainfo)
    recall, precision = mean_pr_curve(results, len(classes))
    values.update(
        pr_recall=recall.round(4).tolist(),
        pr_precision=precision.round(4).tolist())
    return values


def prediction_sources(predictions: str, dataset) -> Dict:
    """The matching of saved detections (``LodaaVOCMetric.sources``), for
    paired comparisons.

    Args:
        predictions (str): ``.pkl`` of ``DumpDetResults``.
        dataset (BaseDetDataset): The test set.

    Returns:
        dict: Metric key to its :class:`APSource`.
    """
    from lodaa_plugin.evaluation.analysis import (load_predictions,
                                                  score_results)
    results = load_predictions(predictions, dataset)
    # every run of a comparison on the same images, in the same order
    results.sort(key=lambda r: r.img_path)
    return score_results(results, dataset.metainfo, interval=None)[1].sources


#: the mAP the paired comparison of rows uses
PAIRED_KEY = 'mAP_11points'


def paired_rows(sources: Dict[tuple, Dict], rows: Sequence[str],
                num_images: int) -> Dict[str, dict]:
    """Each row against LODAA: LODAA − row, VOC07 mAP, paired by seed and
    test image, its 95% interval over both (seeds drawn with replacement,
    the test images once per resample for every run:
    :func:`~lodaa_plugin.evaluation.metrics.bootstrap.paired_difference`).

    Args:
        sources (dict): ``(row, seed)`` to :func:`prediction_sources`.
        rows (Sequence[str]): Rows in table order.
        num_images (int): Test images.

    Returns:
        dict: Row to ``difference``, ``interval``, ``verdict`` (of LODAA),
        ``seeds``, ``seeds_needed`` and ``text``.
    """
    from lodaa_plugin.evaluation.metrics.bootstrap import paired_difference
    out = {}
    for row in rows:
        seeds = sorted(seed for r, seed in sources
                       if r == row and ('lodaa', seed) in sources)
        if row == 'lodaa' or not seeds:
            continue
        pair = paired_difference(
            [sources[('lodaa', s)][PAIRED_KEY] for s in seeds],
            [sources[(row, s)][PAIRED_KEY] for s in seeds], num_images)
        out[row] = dict(
            difference=pair.difference,
            interval=[pair.low, pair.high],
            verdict=pair.verdict,
            seeds=len(seeds),
            seeds_needed=pair.seeds_needed,
            text=pair.describe('LODAA', ROWS[row][0]))
    return out


def _paired_cell(paired: dict) -> str:
    low, high = paired['interval']
    if paired['verdict'] == 'undecided':
        return (f'{paired["difference"]:+.3f} [n/a]: no interval on fewer '
                'than 10 test images')
    text = (f'{paired["difference"]:+.3f} [{low:+.3f}, {high:+.3f}]: LODAA '
            f'{paired["verdict"]}')
    if paired['verdict'] == 'level' and paired['seeds_needed']:
        text += (', more seeds cannot resolve it' if paired['seeds_needed']
                 == -1 else f', ~{paired["seeds_needed"]} seeds would resolve')
    return text


TABLE_KEYS = (('mAP_11points', 'VOC07 11-pt mAP@0.5'), ('mAP_area',
                                                        'area mAP@0.5'),
              ('coco_AP', 'COCO AP@[.5:.95]'), ('coco_AP75', 'COCO AP75'))


def _mean_std(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f'{values[0]:.3f}'
    return f'{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}'


def summarise(runs: List[dict],
              rows: Sequence[str],
              paired: Optional[Dict[str, dict]] = None) -> List[dict]:
    """Mean and sample standard deviation over seeds per row, and each row's
    difference from LODAA's paired by seed (same data order and start).

    Args:
        runs (list[dict]): ``row``, ``seed`` and the metric values.
        rows (Sequence[str]): Rows in table order.
        paired (dict, optional): :func:`paired_rows`, kept as ``paired``.

    Returns:
        list[dict]: Per row: ``row``, ``label``, ``seeds``, per metric its
        values, ``delta_mAP`` (LODAA minus the row, VOC07 mAP, per
        seed) when LODAA ran, and ``paired``.
    """
    by_seed = {(r['row'], r['seed']): r for r in runs}
    table = []
    for row in rows:
        mine = sorted((r for r in runs if r['row'] == row),
                      key=lambda r: r['seed'])
        if not mine:
            continue
        entry = dict(
            row=row, label=ROWS[row][0], seeds=[r['seed'] for r in mine])
        for key, _ in TABLE_KEYS:
            entry[key] = [r[key] for r in mine]
        entry['train_seconds'] = [r['train_seconds'] for r in mine]
        deltas = [
            by_seed[('lodaa', r['seed'])]['mAP_11points'] - r['mAP_11points']
            for r in mine if ('lodaa', r['seed']) in by_seed
        ]
        if row != 'lodaa' and deltas:
            entry['delta_mAP'] = deltas
        if paired and row in paired:
            entry['paired'] = paired[row]
        table.append(entry)
    return table


def markdown_table(table: List[dict]) -> str:
    """Render :func:`summarise` as a Markdown table.

    Args:
        table (list[dict]): Rows from :func:`summarise`.

    Returns:
        str: The table, one line per row.
    """
    paired = any('paired' in entry for entry in table)
    head = ['detector'] + [name for _, name in TABLE_KEYS] + [
        'LODAA − row, VOC07 mAP (paired by seed)'
    ] + (['LODAA − row, 95% interval over test images and seeds']
         if paired else []) + ['train s']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    for entry in table:
        delta = entry.get('delta_mAP')
        if delta is None:
            delta_text = '–'
        else:
            delta_text = _mean_std(delta)
            if len(delta) > 1:
                # a difference beyond two standard errors of the pairs
                se = np.std(delta, ddof=1) / math.sqrt(len(delta))
                delta_text += ' *' if abs(np.mean(delta)) > 2 * se else ''
        cells = [entry['label']] + [
            _mean_std(entry[k]) for k, _ in TABLE_KEYS
        ] + [delta_text] + ([
            _paired_cell(entry['paired']) if 'paired' in entry else '–'
        ] if paired else []) + [f'{np.mean(entry["train_seconds"]):.0f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def run_records(work_dirs: Sequence[str]) -> List[dict]:
    """Read each run's :class:`~.run_record_hook.RunRecordHook` record.

    Args:
        work_dirs (Sequence[str]): Run folders.

    Returns:
        list[dict]: The records, in order.
    """
    return [
        read_json(osp.join(work_dir, 'run_record.json'))
        for work_dir in work_dirs
    ]


def read_result(path: str) -> dict:
    """Read a run's ``result.json`` (written by ``compare_detectors.py``
    when the run ended).

    Args:
        path (str): The file.

    Returns:
        dict: The run's record.

    Raises:
        SystemExit: Naming the file, when it is not a JSON object (a copy
            cut short, an edit): delete it and that run is trained again.
    """
    try:
        run = read_json(path)
    except JSONFileError as error:
        raise SystemExit(f'{error}; delete it to train that run again') \
            from None
    if not isinstance(run, dict):
        raise SystemExit(f'{path}: not a run record (a JSON object); delete '
                         'it to train that run again')
    return run
