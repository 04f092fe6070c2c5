# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A dataset refuses training and held-out lists that share images (by id,
or by file content under another id), and warns when trainval is not
train + val."""
import os.path as osp
import shutil

import pytest

from lodaa_plugin.datasets import LodaaVOCClsDataset, LodaaVOCDataset
from lodaa_plugin.datasets.split_health import check_split_health
from lodaa_plugin.datasets.voc_xml import VOCAnnotationError
from lodaa_testing import CELLS_ROOT, TEST_DATA_DIR, logged_warnings

REAL_LISTS = osp.join(TEST_DATA_DIR, 'cells_voc_lists')


def _lists(folder, **lists):
    main = folder / 'ImageSets' / 'Main'
    main.mkdir(parents=True, exist_ok=True)
    for name, ids in lists.items():
        (main / f'{name}.txt').write_text(''.join(f'{i}\n' for i in ids))
    return main


def _images(folder, **contents):
    images = folder / 'JPEGImages'
    images.mkdir(exist_ok=True)
    for img_id, data in contents.items():
        (images / f'{img_id}.jpg').write_bytes(data)
    return lambda img_id: str(images / f'{img_id}.jpg')


def test_the_real_one_class_lists_are_refused_and_named():
    # as its authors split it: 202 test ids are also training ids
    with pytest.raises(VOCAnnotationError) as error:
        check_split_health(
            osp.join(REAL_LISTS, 'train.txt'), lambda i: f'/nowhere/{i}.jpg')
    message = str(error.value)
    assert '202 image(s) of' in message
    assert osp.join(REAL_LISTS, 'test.txt') in message
    assert 'allow_split_overlap=True' in message


def test_trainval_that_is_not_train_plus_val_warns(tmp_path):
    with logged_warnings() as warnings:
        check_split_health(
            osp.join(REAL_LISTS, 'trainval.txt'),
            lambda i: f'/nowhere/{i}.jpg',
            allow_overlap=True)
    lacks = [w for w in warnings if 'lacks' in w]
    assert len(lacks) == 1 and 'lacks 302 of the 302 ids' in lacks[0]
    assert any('27 image(s)' in w for w in warnings)  # test has val's


def test_disjoint_lists_pass_silently(tmp_path):
    main = _lists(
        tmp_path,
        train=['a', 'b'],
        val=['c'],
        trainval=['a', 'b', 'c'],
        test=['d'])
    image = _images(tmp_path, a=b'1', b=b'2', c=b'3', d=b'4')
    with logged_warnings() as warnings:
        for name in ('train', 'val', 'trainval', 'test'):
            check_split_health(str(main / f'{name}.txt'), image)
    assert not warnings


def test_a_copy_under_another_id_is_found_by_content(tmp_path):
    main = _lists(tmp_path, trainval=['a', 'b'], test=['x'])
    image = _images(tmp_path, a=b'same bytes', b=b'other', x=b'same bytes')
    with pytest.raises(VOCAnnotationError, match='byte for byte.*a = x'):
        check_split_health(str(main / 'trainval.txt'), image)
    # the held-out side is checked by id only: the training side finds it
    check_split_health(str(main / 'test.txt'), image)


def _leaky_cells(tmp_path):
    """The shipped cells set with its test list made to repeat a trainval
    id."""
    root = tmp_path / 'VOCdevkit'
    shutil.copytree(CELLS_ROOT, root)
    main = root / 'VOC2007' / 'ImageSets' / 'Main'
    first = (main / 'trainval.txt').read_text().split()[0]
    (main / 'test.txt').write_text((main / 'test.txt').read_text() +
                                   f'{first}\n')
    return root


def test_both_datasets_refuse_a_leaky_split_unless_allowed(tmp_path):
    root = _leaky_cells(tmp_path)
    meta = dict(classes=('cellbody', ))

    def detection(**kwargs):
        return LodaaVOCDataset(
            data_root=f'{root}/',
            ann_file='VOC2007/ImageSets/Main/trainval.txt',
            metainfo=meta,
            pipeline=[],
            **kwargs)

    def classification(**kwargs):
        return LodaaVOCClsDataset(
            data_root=str(root / 'VOC2007'),
            split='trainval',
            metainfo=meta,
            pipeline=[],
            **kwargs)

    for build in (detection, classification):
        with pytest.raises(VOCAnnotationError, match='also in .*test.txt'):
            build()
        with logged_warnings() as warnings:
            assert len(build(allow_split_overlap=True)) == 3
        assert any('allow_split_overlap=True' in w for w in warnings)


def test_the_check_command_names_every_overlap(tmp_path):
    import subprocess

    from lodaa_testing import PYTHON, python_env, tool_path

    # the second folder's train and test lists share b: one pair, said once
    cases = ((dict(train=['a'], test=['b']), 0, 0),
             (dict(train=['a', 'b'], val=['c'], test=['b']), 1, 1))
    for lists, status, named in cases:
        folder = tmp_path / str(status)
        _lists(folder, **lists)
        result = subprocess.run(
            [PYTHON,
             tool_path('analysis/check_splits.py'),
             str(folder)],
            env=python_env(),
            capture_output=True,
            text=True)
        assert result.returncode == status, result.stderr
        assert f'{named} pair(s) share images' in result.stdout
    assert result.stdout.count('are also in') == 1
    assert 'by id only: no JPEGImages/' in result.stdout
