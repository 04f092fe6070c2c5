# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LodaaVOCDataset and the VOC XML parser on real and odd files."""
import os
import os.path as osp
import re
import xml.etree.ElementTree as ET

import pytest

from lodaa_plugin.datasets import (LodaaVOCDataset, VOCAnnotationError,
                                   parse_voc_xml)
from lodaa_testing import (CELLS_ROOT, REPO_ROOT, TEST_DATA_DIR, VOC07_ROOT,
                           logged_warnings)
from lodaa_testing.voc_data import copy_voc_files, edit_xml

VOC12_ODD = osp.join(TEST_DATA_DIR, 'voc2012_odd', 'VOCdevkit')

VOC_CLASSES = LodaaVOCDataset.METAINFO['classes']


def _dataset(root, ann_file, **kwargs):
    kwargs.setdefault('test_mode', True)
    return LodaaVOCDataset(
        data_root=root + '/', ann_file=ann_file, pipeline=[], **kwargs)


def _count_raw(root, year, split):
    """Objects and difficult objects counted straight from the XML text."""
    ids = open(osp.join(root, year, 'ImageSets', 'Main', split)).read().split()
    objects = difficult = 0
    for img_id in ids:
        text = open(osp.join(root, year, 'Annotations',
                             f'{img_id}.xml')).read()
        for obj in re.findall(r'<object>.*?</object>', text, re.S):
            if re.search(r'<difficult>\s*1\s*</difficult>', obj):
                difficult += 1
            else:
                objects += 1
    return len(ids), objects, difficult


SHARED = osp.join(REPO_ROOT, '..', 'shared', 'data')


def test_voc2007_sample_matches_its_files():
    both = [
        'VOC2007/ImageSets/Main/trainval.txt',
        'VOC2007/ImageSets/Main/test.txt'
    ]
    ds = _dataset(VOC07_ROOT, both)
    assert len(ds) == 23
    assert ds.metainfo['dataset_type'] == 'VOC2007'
    insts = [
        i for k in range(len(ds)) for i in ds.get_data_info(k)['instances']
    ]
    # the shared data's README: 66 objects + 9 difficult in 23 images
    assert sum(not i['ignore_flag'] for i in insts) == 66
    assert sum(i['ignore_flag'] for i in insts) == 9
    table = ds.stats_table([ds.get_data_info(k) for k in range(len(ds))])
    assert re.search(r'\| total\s+\| 23\s+\| 66\s+\| 9\s+\|', table)
    for split in ('trainval.txt', 'test.txt'):
        n, objects, difficult = _count_raw(VOC07_ROOT, 'VOC2007', split)
        part = _dataset(VOC07_ROOT, f'VOC2007/ImageSets/Main/{split}')
        t = part.stats_table([part.get_data_info(k) for k in range(len(part))])
        assert re.search(
            rf'\| total\s+\| {n}\s+\| {objects}\s+\| '
            rf'{difficult}\s+\|', t), t


def test_nonstandard_voc2012_xml():
    ds = _dataset(VOC12_ODD, 'VOC2012/ImageSets/Main/trainval.txt')
    info = {
        ds.get_data_info(k)['img_id']: ds.get_data_info(k)
        for k in range(len(ds))
    }
    assert len(info) == 4
    # alphabetical tags, <actions>, float ymin 45.70000076293945
    person = info['2011_003353']['instances'][0]
    assert VOC_CLASSES[person['bbox_label']] == 'person'
    assert person['bbox'] == pytest.approx([129, 44.70000076293945, 374, 469])
    assert (info['2011_003353']['width'], info['2011_003353']['height']) == \
        (375, 500)
    assert info['2010_004175']['instances']


def test_custom_classes_from_classes_txt_and_tag_order():
    ds = _dataset(CELLS_ROOT, 'VOC2007/ImageSets/Main/trainval.txt')
    assert ds.metainfo['classes'] == ('cellbody', )
    assert ds.metainfo['dataset_type'] is None  # not VOC's classes
    first = ds.get_data_info(0)
    xml = ET.parse(first['xml_path']).getroot().find('object/bndbox')
    expected = [
        float(xml.find(t).text) - 1 for t in ('xmin', 'ymin', 'xmax', 'ymax')
    ]
    assert first['instances'][0]['bbox'] == expected
    assert expected[2] > expected[0] and expected[3] > expected[1]


def test_classes_from_config_win_over_classes_txt():
    ds = _dataset(
        CELLS_ROOT,
        'VOC2007/ImageSets/Main/trainval.txt',
        metainfo=dict(classes=('cellbody', 'other')))
    assert ds.metainfo['classes'] == ('cellbody', 'other')


def test_missing_size_is_read_from_the_image(tmp_path):
    root, year = copy_voc_files(tmp_path)
    xml = year / 'Annotations' / '000005.xml'
    edit_xml(xml, lambda r: r.remove(r.find('size')))
    ann = parse_voc_xml(
        str(xml), VOC_CLASSES, str(year / 'JPEGImages' / '000005.jpg'))
    assert (ann.width, ann.height) == (500, 375)


def test_missing_size_is_held_to_the_pixel_limit_and_named(tmp_path):
    """An image without <size> is measured from its header whatever its
    size (PIL's own guard would refuse or warn without naming the file) and
    then refused by the image loader's max_pixels, by name."""
    import warnings

    from lodaa_plugin.datasets import ImageLoadError
    from lodaa_testing.voc_data import png_header_only
    root, year = copy_voc_files(tmp_path)
    # 900 Mpx is past PIL's error threshold, 100 Mpx past its warning one
    sizes = {'000005': 30000, '000007': 10000}
    for img_id, side in sizes.items():
        edit_xml(year / 'Annotations' / f'{img_id}.xml',
                 lambda r: r.remove(r.find('size')))
        (year / 'JPEGImages' / f'{img_id}.jpg').write_bytes(
            png_header_only(side, side))
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # PIL's DecompressionBombWarning
        ds = LodaaVOCDataset(
            data_root=root + '/',
            ann_file='VOC2007/ImageSets/Main/all.txt',
            pipeline=[dict(type='LodaaLoadImageFromFile')],
            test_mode=True)
    for index, side in enumerate(sizes.values()):
        info = ds.get_data_info(index)
        assert (info['width'], info['height']) == (side, side)
        with pytest.raises(ImageLoadError) as error:
            ds[index]
        assert (f"{info['img_path']}: {side} x {side} pixels, more than "
                'max_pixels') in str(error.value)


def test_unknown_class_and_inverted_box_dropped_with_one_warning(tmp_path):
    root, year = copy_voc_files(tmp_path)

    def corrupt(r):
        objs = r.findall('object')
        objs[0].find('name').text = 'unicorn'
        box = objs[1].find('bndbox')
        box.find('xmin').text, box.find('xmax').text = '300', '100'
        # outside the image: clipped, not dropped
        objs[2].find('bndbox/xmax').text = '9000'

    edit_xml(year / 'Annotations' / '000005.xml', corrupt)
    with logged_warnings() as warnings:
        ds = _dataset(root, 'VOC2007/ImageSets/Main/all.txt')
    assert any(
        '1 object(s) dropped: unknown class name' in w and '000005.xml' in w
        and 'Names: "unicorn" x 1' in w and 'known classes: aeroplane' in w
        for w in warnings), warnings
    assert any('1 object(s) dropped: empty or inverted box' in w
               for w in warnings), warnings
    info = ds.get_data_info(0)
    raw = len(ET.parse(year / 'Annotations' / '000005.xml').findall('object'))
    assert len(info['instances']) == raw - 2
    assert max(i['bbox'][2] for i in info['instances']) <= info['width'] - 1


def test_broken_files_are_all_listed_with_their_names(tmp_path):
    root, year = copy_voc_files(tmp_path,
                                ('000005', '000007', '000009', '000012'))
    (year / 'Annotations' / '000005.xml').write_text('<annotation><object>')
    edit_xml(year / 'Annotations' / '000007.xml',
             lambda r: r.find('object/bndbox/ymin').__setattr__('text', 'abc'))
    os.remove(year / 'JPEGImages' / '000009.jpg')
    with pytest.raises(VOCAnnotationError) as err:
        _dataset(root, 'VOC2007/ImageSets/Main/all.txt')
    message = str(err.value)
    assert '3 problem(s)' in message
    assert '000005.xml:1: not well-formed XML' in message
    assert re.search(
        r"000007.xml: line \d+: object 0 \(car\): <ymin> is 'abc', not a "
        'finite number', message)
    assert '000009.jpg: image file missing' in message
    assert 'skip_invalid=True' in message
    with logged_warnings() as warnings:
        ds = _dataset(
            root, 'VOC2007/ImageSets/Main/all.txt', skip_invalid=True)
    assert [ds.get_data_info(0)['img_id']] == ['000012'] and len(ds) == 1
    assert any('skipped 3 unusable' in w and '000009.jpg' in w
               for w in warnings), warnings


def test_wrong_data_root_names_the_path_and_layout(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        _dataset(
            str(tmp_path / 'nowhere'), 'VOC2007/ImageSets/Main/trainval.txt')
    assert 'nowhere/VOC2007/ImageSets/Main/trainval.txt does not exist' in \
        str(err.value)
    assert '<year>/ImageSets/Main/<split>.txt' in str(err.value)


def test_every_shared_annotation_file_loads():
    """All the real annotation files of tests/data, any split."""
    for root, year in ((VOC07_ROOT, 'VOC2007'), (VOC12_ODD, 'VOC2012'),
                       (CELLS_ROOT, 'VOC2007')):
        classes = ('cellbody', ) if root == CELLS_ROOT else VOC_CLASSES
        folder = osp.join(root, year, 'Annotations')
        for name in sorted(os.listdir(folder)):
            img = osp.join(root, year, 'JPEGImages', name[:-4] + '.jpg')
            ann = parse_voc_xml(osp.join(folder, name), classes, img)
            assert ann.objects and not ann.drops, name


@pytest.mark.skipif(
    not osp.isdir(SHARED),
    reason='the shared sample data is not beside the clone')
def test_every_annotation_file_of_the_shared_samples_loads():
    """Each full sample set: every listed image loads, no object dropped,
    and the object counts equal the ones the data README states."""
    expected = {
        'voc2007_sample': (23, 66, 9),
        'voc2012_sample': (109, 247, 38)
    }
    for name, year, classes in (('voc2007_sample', 'VOC2007',
                                 None), ('voc2012_sample', 'VOC2012', None),
                                ('cells_voc', 'VOC2007', ('cellbody', ))):
        root = osp.join(SHARED, name, 'VOCdevkit')
        # the cells set's own lists: test repeats 27 trainval ids, and
        # trainval lacks the 302 ids of train
        leaky = name == 'cells_voc'
        with logged_warnings() as warnings:
            ds = _dataset(
                root, [
                    f'{year}/ImageSets/Main/{s}.txt'
                    for s in ('trainval', 'test')
                ],
                metainfo=dict(classes=classes) if classes else None,
                allow_split_overlap=leaky)
        assert bool(warnings) == leaky, warnings
        assert all('overlap' in w or 'lacks 302' in w for w in warnings)
        insts = [
            i for k in range(len(ds)) for i in ds.get_data_info(k)['instances']
        ]
        if name in expected:
            assert (len(ds), sum(not i['ignore_flag'] for i in insts),
                    sum(i['ignore_flag'] for i in insts)) == expected[name]
        for xml in os.listdir(osp.join(root, year, 'Annotations')):
            img = osp.join(root, year, 'JPEGImages', xml[:-4] + '.jpg')
            parse_voc_xml(
                osp.join(root, year, 'Annotations', xml), classes
                or VOC_CLASSES, img)


def test_no_object_of_the_classes_names_the_classes_found():
    with pytest.raises(VOCAnnotationError) as err:
        LodaaVOCDataset(
            data_root=CELLS_ROOT + '/',
            ann_file='VOC2007/ImageSets/Main/trainval.txt',
            metainfo=dict(classes=('cat', 'dog')),
            pipeline=[],
            filter_cfg=dict(filter_empty_gt=True))
    message = str(err.value)
    assert "none has an object of the classes ('cat', 'dog')" in message
    assert '"cellbody" x 3' in message


@pytest.mark.parametrize('dataset', ['detection', 'classification'])
def test_a_broken_test_image_stops_testing_by_name(tmp_path, dataset):
    from lodaa_plugin.datasets import ImageLoadError, LodaaVOCClsDataset
    root, year = copy_voc_files(tmp_path, ('000005', '000007'))
    broken = year / 'JPEGImages' / '000007.jpg'
    broken.write_bytes(broken.read_bytes()[:1000])
    (year / 'ImageSets' / 'Main' / 'test.txt').write_text('000005\n000007\n')
    pipeline = [dict(type='LodaaLoadImageFromFile', skip_invalid=True)]
    if dataset == 'detection':
        ds = LodaaVOCDataset(
            data_root=root + '/',
            ann_file='VOC2007/ImageSets/Main/test.txt',
            pipeline=pipeline,
            test_mode=True)
    else:
        ds = LodaaVOCClsDataset(
            data_root=str(year),
            split='test',
            pipeline=pipeline,
            test_mode=True)
    assert ds[0]['img'].shape[2] == 3
    with pytest.raises(ImageLoadError) as err:
        ds[1]
    assert f'{broken}: unusable, and a test set is used whole' in str(
        err.value)


def test_bbox_min_size_marks_small_boxes_ignored_as_mmdet_does():
    """Every stock mmdet VOC config sets filter_cfg.bbox_min_size; the same
    boxes end up ignored as with mmdet's own VOCDataset."""
    from mmdet.datasets import VOCDataset
    filter_cfg = dict(filter_empty_gt=False, min_size=0, bbox_min_size=64)
    with logged_warnings() as warnings:
        ours = _dataset(
            VOC07_ROOT,
            'VOC2007/ImageSets/Main/trainval.txt',
            test_mode=False,
            filter_cfg=filter_cfg)
    theirs = VOCDataset(
        data_root=VOC07_ROOT + '/',
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        filter_cfg=filter_cfg,
        pipeline=[])
    flags = {
        i: [x['ignore_flag'] for x in ours.get_data_info(i)['instances']]
        for i in range(len(ours))
    }
    expected = {
        i: [x['ignore_flag'] for x in theirs.get_data_info(i)['instances']]
        for i in range(len(theirs))
    }
    assert flags == expected
    plain = _dataset(
        VOC07_ROOT, 'VOC2007/ImageSets/Main/trainval.txt', test_mode=False)
    changed = sum(a != b for i in range(len(plain))
                  for a, b in zip(flags[i], (
                      x['ignore_flag']
                      for x in plain.get_data_info(i)['instances'])))
    assert changed > 0
    assert any(f'{changed} box(es) narrower or lower than' in w
               for w in warnings)
    with pytest.raises(ValueError, match='on a test set'):
        _dataset(
            VOC07_ROOT,
            'VOC2007/ImageSets/Main/test.txt',
            filter_cfg=filter_cfg)
