# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""COCO-JSON data: classes from the file, the same boxes as the VOC files it
was converted from, clear errors and counted drops, both metrics agreeing,
and a config that trains and scores on it."""
import json
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.structures import InstanceData

from lodaa_testing import (PYTHON, config_path, logged_warnings, run_tool,
                           tool_path)
from projects.synthetic_voc import make_synthetic_voc


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory) -> str:
    """16 + 8 synthetic images in VOC layout and as COCO JSON."""
    root = tmp_path_factory.mktemp('coco')
    make_synthetic_voc(str(root), 16, 8, seed=3, progress=False, coco=True)
    return str(root)


def _dataset(root, ann='annotations/instances_test.json', **kwargs):
    from mmdet.registry import DATASETS
    return DATASETS.build(
        dict(
            type='LodaaCocoDataset',
            data_root=root,
            ann_file=ann,
            data_prefix=dict(img=''),
            test_mode=True,
            pipeline=[],
            **kwargs))


def _edit(root, tmp_path, edit, name='edited.json'):
    data = json.load(
        open(osp.join(root, 'annotations', 'instances_test.json')))
    edit(data)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_classes_and_boxes_come_from_the_file(synthetic, mmdet_scope):
    from mmdet.registry import DATASETS
    coco = _dataset(synthetic)
    assert coco.metainfo['classes'] == ('ellipse', 'rectangle', 'triangle',
                                        'cross', 'ring')
    voc = DATASETS.build(
        dict(
            type='LodaaVOCDataset',
            data_root=osp.join(synthetic, 'VOCdevkit'),
            ann_file='VOC2007/ImageSets/Main/test.txt',
            test_mode=True,
            pipeline=[]))
    assert len(coco) == len(voc) == 8
    for i in range(8):
        a, b = coco.get_data_info(i), voc.get_data_info(i)
        assert osp.samefile(a['img_path'], b['img_path'])
        key = [(x['bbox_label'], x['ignore_flag'], *np.round(x['bbox'], 3))
               for x in a['instances']]
        assert sorted(key) == sorted(
            (x['bbox_label'], x['ignore_flag'], *np.round(x['bbox'], 3))
            for x in b['instances'])


@pytest.mark.parametrize('edit,message', [
    (lambda d: d.update(images=[]), 'no images'),
    (lambda d: d.pop('categories'), 'missing categories'),
    (lambda d: d['annotations'][0].update(category_id=99),
     'category id 99 is not in "categories"'),
    (lambda d: d['images'][1].update(file_name='gone.jpg'),
     'gone.jpg does not exist'),
    (lambda d: d['annotations'][0].update(image_id=12345),
     'image id 12345 is not in "images"'),
    (lambda d: d['images'].append(dict(d['images'][0])), 'appears 2 times'),
])
def test_bad_files_are_refused_with_the_problem(synthetic, tmp_path, edit,
                                                message, mmdet_scope):
    from lodaa_plugin.datasets import CocoAnnotationError
    path = _edit(synthetic, tmp_path, edit)
    with pytest.raises(CocoAnnotationError) as error:
        _dataset(synthetic, ann=path)
    assert path in str(error.value) and message in str(error.value)


def test_not_json_and_skip_invalid(synthetic, tmp_path, mmdet_scope):
    from lodaa_plugin.datasets import CocoAnnotationError
    broken = tmp_path / 'broken.json'
    broken.write_text('{"images": [')
    with pytest.raises(CocoAnnotationError, match='not JSON'):
        _dataset(synthetic, ann=str(broken))
    path = _edit(synthetic, tmp_path,
                 lambda d: d['images'][1].update(file_name='gone.jpg'))
    with logged_warnings() as warnings:
        dataset = _dataset(synthetic, ann=path, skip_invalid=True)
    assert len(dataset) == 7
    assert any('skipped 1 image(s)' in w for w in warnings)


def test_boxes_outside_are_clipped_and_drops_counted(synthetic, tmp_path,
                                                     mmdet_scope):

    def edit(data):
        first = data['annotations'][0]
        width = next(i['width'] for i in data['images']
                     if i['id'] == first['image_id'])
        first['bbox'] = [width - 10, 5, 50, 20]  # 40 px outside
        data['annotations'][1]['bbox'] = [500, 500, 10, 10]  # all outside

    path = _edit(synthetic, tmp_path, edit)
    with logged_warnings() as warnings:
        dataset = _dataset(
            synthetic,
            ann=path,
            metainfo=dict(
                classes=('ellipse', 'rectangle', 'triangle', 'cross')))
    text = '\n'.join(warnings)
    assert re.search(r'1 object\(s\) clipped: box partly outside', text)
    assert re.search(r'1 object\(s\) dropped: box empty', text)
    assert re.search(r'\d+ object\(s\) dropped: category not in the classes',
                     text)
    boxes = np.concatenate([
        np.asarray([x['bbox'] for x in dataset.get_data_info(i)['instances']
                    ]).reshape(-1, 4) for i in range(len(dataset))
    ])
    assert (boxes[:, 2] <= 128).all()


def test_voc_metric_coco_numbers_equal_mmdet_coco_metric(
        synthetic, mmdet_scope):
    """The same detections scored by LODAA's VOC metric (its COCO-style
    numbers) and by mmdet's CocoMetric."""
    from mmdet.evaluation import CocoMetric

    from lodaa_plugin.evaluation.metrics import LodaaVOCMetric
    dataset = _dataset(synthetic)
    rng = np.random.RandomState(0)
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        gt = np.asarray([x['bbox'] for x in info['instances']],
                        np.float32).reshape(-1, 4)
        # jittered true boxes, some labels wrong, plus false positives
        boxes = np.concatenate([
            gt + rng.normal(0, 3, gt.shape),
            rng.uniform(0, 100, (5, 4)).cumsum(1)
        ])
        labels = np.asarray([x['bbox_label'] for x in info['instances']] +
                            list(rng.randint(0, 5, 5)))
        labels[rng.rand(len(labels)) < 0.2] = rng.randint(0, 5)
        ignore = np.asarray([x['ignore_flag'] for x in info['instances']],
                            bool)
        lab = np.asarray([x['bbox_label'] for x in info['instances']])
        samples.append(
            dict(
                img_id=info['img_id'],
                ori_shape=(info['height'], info['width']),
                width=info['width'],
                height=info['height'],
                instances=info['instances'],
                pred_instances=dict(
                    bboxes=_tensor(boxes),
                    scores=_tensor(rng.rand(len(boxes))),
                    labels=_tensor(labels, int)),
                gt_instances=InstanceData(
                    bboxes=_tensor(gt[~ignore]),
                    labels=_tensor(lab[~ignore], int)),
                ignored_instances=InstanceData(
                    bboxes=_tensor(gt[ignore]),
                    labels=_tensor(lab[ignore], int))))
    voc = LodaaVOCMetric(eval_mode='11points')
    coco = CocoMetric(ann_file=None, metric='bbox', proposal_nums=(1, 10, 100))
    for metric in (voc, coco):
        metric.dataset_meta = dataset.metainfo
        metric.process({}, samples)
    got = voc.compute_metrics(voc.results)
    expected = coco.compute_metrics(coco.results)
    for mine, theirs in (('coco_AP', 'bbox_mAP'), ('coco_AP50', 'bbox_mAP_50'),
                         ('coco_AP75', 'bbox_mAP_75'),
                         ('coco_AP_s', 'bbox_mAP_s'), ('coco_AP_m',
                                                       'bbox_mAP_m')):
        assert got[mine] == pytest.approx(expected[theirs], abs=1e-3), mine
    assert 0.1 < got['coco_AP50'] < 0.99


def _tensor(array, kind=float):
    import torch
    return torch.as_tensor(
        np.asarray(array),
        dtype=torch.float32 if kind is float else torch.long)


@pytest.mark.slow
def test_coco_config_trains_and_scores_with_both_metrics(tmp_path):
    root = tmp_path / 'data'
    make_synthetic_voc(str(root), 24, 8, seed=5, progress=False, coco=True)
    data = []
    for loader, split in (('train_dataloader', 'trainval'), ('val_dataloader',
                                                             'test')):
        data += [
            f'{loader}.dataset.data_root={root}/',
            f'{loader}.dataset.ann_file=annotations/instances_{split}.json',
            f'{loader}.dataset.data_prefix.img=', f'{loader}.num_workers=0',
            f'{loader}.persistent_workers=False'
        ]
    log = run_tool([
        PYTHON,
        tool_path('train.py'),
        config_path(
            'fcos/fcos_regnetx-400mf_fpn-p3p5_1xb16-9k_coco-format-224.py'),
        '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *data,
        'model.backbone.init_cfg=None', 'model.bbox_head.num_classes=5',
        'train_cfg.max_iters=10', 'train_cfg.val_interval=10',
        'train_dataloader.batch_size=4'
    ],
                   cwd=str(tmp_path))
    assert re.search(r'coco/bbox_mAP: [\d.]+', log), log[-3000:]
    assert re.search(r'pascal_voc/mAP: [\d.]+', log), log[-3000:]


def test_train_and_val_files_that_share_images_are_refused(
        synthetic, tmp_path, mmdet_scope):
    # a val file beside the train file, holding one of its images
    train = json.load(
        open(osp.join(synthetic, 'annotations', 'instances_trainval.json')))
    val = _edit(synthetic, tmp_path,
                lambda d: d['images'].append(dict(train['images'][0], id=999)),
                'instances_val.json')
    (tmp_path / 'instances_train.json').write_text(json.dumps(train))
    with pytest.raises(ValueError, match=f'1 image.* also in {val}'):
        _dataset(synthetic, str(tmp_path / 'instances_train.json'))
    with logged_warnings() as warnings:
        _dataset(
            synthetic,
            str(tmp_path / 'instances_train.json'),
            allow_split_overlap=True)
    assert any('allow_split_overlap=True' in w for w in warnings)


def test_the_per_class_table_is_logged(synthetic, mmdet_scope):
    from lodaa_testing import logged_messages
    with logged_messages() as records:
        _dataset(synthetic).filter_data()
    table = next(r for r in records if '| class' in r)
    assert 'crowd' in table and 'ellipse' in table
    assert re.search(r'\| total +\| 8 +\|', table)


def _reordered(data):
    """Ids 90, 1, 5, 7, 3 listed in that order, as labelling tools write
    them: each annotation keeps its category *name*."""
    new_ids = {1: 90, 2: 1, 3: 5, 4: 7, 5: 3}
    for ann in data['annotations']:
        ann['category_id'] = new_ids[ann['category_id']]
    cats = {c['id']: c for c in data['categories']}
    data['categories'] = [
        dict(cats[old], id=new) for old, new in new_ids.items()
    ]


def _names(dataset):
    classes = dataset.metainfo['classes']
    return sorted((osp.basename(dataset.get_data_info(i)['img_path']),
                   classes[x['bbox_label']], *np.round(x['bbox'], 3))
                  for i in range(len(dataset))
                  for x in dataset.get_data_info(i)['instances'])


@pytest.mark.parametrize('classes', [
    None, ('ring', 'cross', 'ellipse', 'triangle', 'rectangle'),
    ('triangle', 'ellipse')
])
def test_labels_follow_category_names_whatever_the_id_order(
        synthetic, tmp_path, classes, mmdet_scope):
    """Each box keeps its class's name with ids out of order and with
    ``metainfo.classes`` in another order (or a subset)."""
    metainfo = {} if classes is None else dict(metainfo=dict(classes=classes))
    expected = [
        row for row in _names(_dataset(synthetic, **metainfo))
        if classes is None or row[1] in classes
    ]
    path = _edit(synthetic, tmp_path, _reordered)
    dataset = _dataset(synthetic, ann=path, **metainfo)
    assert _names(dataset) == expected
    names = {c['id']: c['name'] for c in json.load(open(path))['categories']}
    for cat_id, label in dataset.cat2label.items():
        assert dataset.metainfo['classes'][label] == names[cat_id]
    assert [names[i] for i in dataset.cat_ids] == [
        name for name in dataset.metainfo['classes'] if name in names.values()
    ]


def _truth_as_detections(dataset, indices) -> list:
    """Metric samples whose detections are the images' true boxes."""
    samples = []
    for i in indices:
        info = dataset.get_data_info(i)
        keep = [x for x in info['instances'] if not x['ignore_flag']]
        boxes = np.asarray([x['bbox'] for x in keep], np.float32)
        samples.append(
            dict(
                img_id=info['img_id'],
                ori_shape=(info['height'], info['width']),
                instances=info['instances'],
                pred_instances=dict(
                    bboxes=_tensor(boxes.reshape(-1, 4)),
                    scores=_tensor(np.ones(len(keep))),
                    labels=_tensor([x['bbox_label'] for x in keep], int))))
    return samples


@pytest.mark.parametrize('with_file', [False, True])
@pytest.mark.parametrize(
    'classes', [None, ('ring', 'cross', 'ellipse', 'triangle', 'rectangle')])
def test_the_metric_scores_reordered_categories_as_ordered_ones(
        synthetic, tmp_path, with_file, classes, mmdet_scope):
    """True boxes given back as detections score 1 with ids out of order,
    the ground truth from the dataset or from the file (with a byte-order
    mark): the metric and the labels agree."""
    from lodaa_plugin.evaluation.metrics import LodaaCocoMetric
    path = _edit(synthetic, tmp_path, _reordered)
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(b'\xef\xbb\xbf' + data)
    metainfo = {} if classes is None else dict(metainfo=dict(classes=classes))
    dataset = _dataset(synthetic, ann=path, **metainfo)
    samples = _truth_as_detections(dataset, range(len(dataset)))
    metric = LodaaCocoMetric(
        ann_file=path if with_file else None, metric='bbox', classwise=True)
    metric.dataset_meta = dataset.metainfo
    metric.process({}, samples)
    scores = metric.compute_metrics(metric.results)
    assert scores['bbox_mAP_50'] == 1.0
    # only the rings detected: the per-class table names the right class
    ring = dataset.metainfo['classes'].index('ring')
    for sample in samples:
        pred = sample['pred_instances']
        keep = pred['labels'] == ring
        sample['pred_instances'] = {k: v[keep] for k, v in pred.items()}
    metric = LodaaCocoMetric(
        ann_file=path if with_file else None, metric='bbox', classwise=True)
    metric.dataset_meta = dataset.metainfo
    metric.process({}, samples)
    scores = metric.compute_metrics(metric.results)
    assert scores['ring_precision'] == 1.0
    assert scores['cross_precision'] == scores['ellipse_precision'] == 0


def test_the_metric_with_a_file_scores_only_the_images_tested(
        synthetic, mmdet_scope):
    """A subset (``indices``, a shorter list) scored against the whole
    file: the untested images' objects are not misses."""
    from lodaa_plugin.evaluation.metrics import LodaaCocoMetric
    path = osp.join(synthetic, 'annotations', 'instances_test.json')
    dataset = _dataset(synthetic, ann=path)
    assert len(dataset) > 2
    samples = _truth_as_detections(dataset, range(2))
    metric = LodaaCocoMetric(ann_file=path, metric='bbox')
    metric.dataset_meta = dataset.metainfo
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results)['bbox_mAP_50'] == 1.0
    # an image the file does not have is named, not scored as empty
    samples[0]['img_id'] = 10**6
    metric = LodaaCocoMetric(ann_file=path, metric='bbox')
    metric.dataset_meta = dataset.metainfo
    metric.process({}, samples)
    with pytest.raises(ValueError, match='no image with id 1000000'):
        metric.compute_metrics(metric.results)


@pytest.mark.parametrize('edit,message', [
    (lambda d: d['categories'][1].update(name=d['categories'][0]['name']),
     "repeated category name(s): 'ellipse' (2 times)"),
    (lambda d: d['categories'][1].update(id=d['categories'][0]['id']),
     'repeated category id(s)'),
    (lambda d: d['categories'][1].pop('name'), 'needs an integer "id"'),
])
def test_repeated_or_unnamed_categories_are_refused(synthetic, tmp_path, edit,
                                                    message, mmdet_scope):
    from lodaa_plugin.datasets import CocoAnnotationError
    path = _edit(synthetic, tmp_path, edit)
    for build in (lambda: _dataset(synthetic, ann=path), lambda: _dataset(
            synthetic, ann=path, metainfo=dict(classes=('ellipse', )))):
        with pytest.raises(CocoAnnotationError) as error:
            build()
        assert path in str(error.value) and message in str(error.value)


@pytest.mark.parametrize('box', [
    [float('nan'), 5, 10, 10],
    [5, 5, float('inf'), 10],
    ['5', '5', '10', '10'],
    [5, 5, None, 10],
    [5, 5, True, 10],
    '5 5 10 10',
])
def test_boxes_that_are_not_finite_numbers_are_errors(synthetic, tmp_path, box,
                                                      mmdet_scope):
    """As a VOC coordinate that is not a finite number: listed naming the
    file and the annotation, or the image skipped and counted as skipped
    (not 'clipped' nor 'dropped')."""
    from lodaa_plugin.datasets import CocoAnnotationError

    def edit(data):
        data['annotations'][0]['bbox'] = box
        data['annotations'][0]['id'] = 4242

    path = _edit(synthetic, tmp_path, edit)
    with pytest.raises(CocoAnnotationError) as error:
        _dataset(synthetic, ann=path)
    assert path in str(error.value) and 'annotation 4242' in str(error.value)
    with logged_warnings() as warnings:
        dataset = _dataset(synthetic, ann=path, skip_invalid=True)
    assert len(dataset) == 7
    text = '\n'.join(warnings)
    assert 'skipped 1 image(s)' in text and 'annotation 4242' in text
    assert 'clipped' not in text and 'box empty' not in text


def test_a_byte_order_mark_reads_as_without(synthetic, tmp_path, mmdet_scope):
    src = osp.join(synthetic, 'annotations', 'instances_test.json')
    path = tmp_path / 'bom.json'
    path.write_bytes(b'\xef\xbb\xbf' + open(src, 'rb').read())
    assert _names(_dataset(synthetic,
                           ann=str(path))) == _names(_dataset(synthetic))


def test_a_training_file_without_annotations_is_refused_naming_it(
        synthetic, tmp_path, mmdet_scope):
    from mmdet.registry import DATASETS

    from lodaa_plugin.datasets import CocoAnnotationError
    path = _edit(synthetic, tmp_path, lambda d: d.update(annotations=[]))
    # a test set may have no objects; a training set cannot learn from none
    assert len(_dataset(synthetic, ann=path)) == 8
    with pytest.raises(CocoAnnotationError) as error:
        DATASETS.build(
            dict(
                type='LodaaCocoDataset',
                data_root=synthetic,
                ann_file=path,
                data_prefix=dict(img=''),
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=[]))
    assert path in str(error.value) and 'left for training' in str(error.value)


def test_repeated_names_in_metainfo_classes_are_refused(
        synthetic, mmdet_scope):
    with pytest.raises(ValueError, match=r"duplicate class names \['ring'\]"):
        _dataset(synthetic, metainfo=dict(classes=('ring', 'cross', 'ring')))


def test_a_training_file_keeps_its_annotated_images(synthetic, mmdet_scope):
    """filter_empty_gt keeps every image with an object (mmdet's filter
    reads the category-to-image index)."""
    from mmdet.registry import DATASETS
    train = DATASETS.build(
        dict(
            type='LodaaCocoDataset',
            data_root=synthetic,
            ann_file='annotations/instances_test.json',
            data_prefix=dict(img=''),
            filter_cfg=dict(filter_empty_gt=True),
            pipeline=[]))
    test = _dataset(synthetic)
    assert len(train) == sum(
        bool(test.get_data_info(i)['instances']) for i in range(len(test)))
    assert len(train) > 0
