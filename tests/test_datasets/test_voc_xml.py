# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The VOC XML parser reads every value it uses strictly: what it cannot
understand is an error naming the file, line and value."""
import re

import pytest

from lodaa_plugin.datasets import (LodaaVOCClsDataset, LodaaVOCDataset,
                                   VOCAnnotationError, parse_voc_xml,
                                   read_classes_file)
from lodaa_plugin.datasets.voc_split import load_voc_split

CLASSES = ('cat', 'dog')


def _xml(objects: str,
         size: str = '<width>100</width><height>80</height>',
         root: str = '<annotation>') -> bytes:
    return (f'{root}\n<size>{size}<depth>3</depth></size>\n{objects}\n'
            '</annotation>\n').encode()


def _obj(name='cat', box=('10', '10', '50', '40'), difficult='0') -> str:
    coords = ''.join(f'<{t}>{v}</{t}>'
                     for t, v in zip(('xmin', 'ymin', 'xmax', 'ymax'), box))
    flag = '' if difficult is None else f'<difficult>{difficult}</difficult>'
    return f'<object><name>{name}</name>{flag}<bndbox>{coords}</bndbox>' \
        '</object>'


@pytest.mark.parametrize('flag,expected', [('0', False), ('1', True),
                                           ('no', False), ('false', False),
                                           ('False', False), ('yes', True),
                                           ('TRUE', True), ('', False),
                                           (None, False), (' 1 ', True)])
def test_difficult_words_mean_what_they_say(flag, expected):
    ann = parse_voc_xml('a.xml', CLASSES, data=_xml(_obj(difficult=flag)))
    assert [o.difficult for o in ann.objects] == [expected]


@pytest.mark.parametrize('objects,size,expected', [
    (_obj(difficult='maybe'), None,
     r"a.xml: line 3: object 0 \(cat\): <difficult> is 'maybe'"),
    (_obj(box=('nan', '10', '50', '40')), None,
     r"line 3: object 0 \(cat\): <xmin> is 'nan', not a finite number"),
    (_obj(box=('1', '10', 'inf', '40')), None, r"<xmax> is 'inf'"),
    (_obj(), '<width>inf</width><height>80</height>',
     r"line 2: <size><width> is 'inf', not a whole number"),
    (_obj(), '<width>wide</width><height>80</height>', r"'wide'"),
    (_obj(), '<width>100</width><height>-80</height>', r"'-80'"),
])
def test_values_it_cannot_read_are_errors_with_line_and_value(
        objects, size, expected):
    data = _xml(objects, **({} if size is None else dict(size=size)))
    with pytest.raises(VOCAnnotationError) as err:
        parse_voc_xml('a.xml', CLASSES, data=data)
    assert re.search(expected, str(err.value)), str(err.value)


@pytest.mark.parametrize('root', [
    '<annotation xmlns="http://example.com/voc">',
    '<v:annotation xmlns:v="http://example.com/voc">',
])
def test_namespaces_do_not_hide_objects(root):
    data = _xml(_obj() + _obj('dog'), root=root)
    if root.startswith('<v:'):
        data = re.sub(rb'<(/?)(?!v:)(\w)', rb'<\1v:\2', data)
    ann = parse_voc_xml('a.xml', CLASSES, data=data)
    assert [o.name for o in ann.objects] == ['cat', 'dog']
    assert (ann.width, ann.height) == (100, 80)


def test_byte_order_marks_are_not_part_of_names(tmp_path):
    bom = '\ufeff'
    (tmp_path / 'classes.txt').write_text(bom + 'cat\ndog\n', encoding='utf-8')
    assert read_classes_file(str(tmp_path / 'classes.txt')) == CLASSES
    year = tmp_path / 'VOC2007'
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (year / sub).mkdir(parents=True)
    (year / 'Annotations' / '000001.xml').write_bytes(b'\xef\xbb\xbf' +
                                                      _xml(_obj()))
    (year / 'JPEGImages' / '000001.jpg').write_bytes(b'')
    split_file = year / 'ImageSets' / 'Main' / 'all.txt'
    split_file.write_text(bom + '000001\n', encoding='utf-8')
    split = load_voc_split(str(split_file), str(year), CLASSES)
    assert not split.errors
    assert [i for i, _, _ in split.images] == ['000001']


@pytest.mark.parametrize('classes,expected', [
    (('cat', 'dog', 'cat'), r"duplicate class names \['cat'\]"),
    (('cat', ' '), 'blank class name at position 1'),
    ('cat', 'must be a list of names'),
])
@pytest.mark.parametrize('dataset', ['detection', 'classification'])
def test_bad_class_lists_in_metainfo_are_refused(tmp_path, classes, expected,
                                                 dataset):
    with pytest.raises(ValueError, match=expected):
        if dataset == 'detection':
            LodaaVOCDataset(
                data_root=str(tmp_path) + '/',
                ann_file='VOC2007/ImageSets/Main/test.txt',
                metainfo=dict(classes=classes),
                pipeline=[])
        else:
            LodaaVOCClsDataset(
                data_root=str(tmp_path),
                split='test',
                metainfo=dict(classes=classes),
                pipeline=[])
