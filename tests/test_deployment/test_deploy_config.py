# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A bad export folder gets an error that names it and the problem."""
import json

import pytest

from lodaa_plugin.deployment import (DeployConfigError, DeployedDetector,
                                     load_deploy_config)
from lodaa_testing.voc_data import png_header_only

GOOD = dict(
    format_version=3,
    classes=['a', 'b'],
    preprocess=dict(
        resize=dict(scale=[64, 64], keep_ratio=False),
        mean=[0, 0, 0],
        std=[1, 1, 1],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    strides=[8, 16],
    test_cfg=dict(
        score_thr=0.05,
        nms_pre=100,
        min_bbox_size=0,
        nms_iou=0.5,
        max_per_img=10),
    score_fusion='sqrt',
    models=dict(onnx='model.onnx'),
    end2end=dict(onnx='model.onnx'),
    input=[64, 64])


def _write(folder, settings, model=True):
    folder.mkdir(exist_ok=True)
    (folder / 'deploy.json').write_text(json.dumps(settings))
    if model:
        (folder / 'model.onnx').write_bytes(b'not a network')
    return str(folder)


def test_bad_export_folders_are_named_with_the_problem(tmp_path):
    with pytest.raises(DeployConfigError, match='no such export folder'):
        load_deploy_config(str(tmp_path / 'nowhere'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(
            DeployConfigError, match=r'empty: no deploy\.json.*export\.py'):
        load_deploy_config(str(tmp_path / 'empty'))
    broken = tmp_path / 'broken'
    broken.mkdir()
    (broken / 'deploy.json').write_text('{"classes": [')
    with pytest.raises(DeployConfigError, match=r'deploy\.json: not JSON'):
        load_deploy_config(str(broken))
    partial = {k: v for k, v in GOOD.items() if k != 'strides'}
    with pytest.raises(DeployConfigError, match='missing strides'):
        load_deploy_config(_write(tmp_path / 'partial', partial))
    with pytest.raises(
            DeployConfigError, match='the onnx network model.onnx is missing'):
        load_deploy_config(_write(tmp_path / 'nomodel', GOOD, model=False))
    for version in (2, 99):
        other = dict(GOOD, format_version=version)
        with pytest.raises(
                DeployConfigError,
                match=f'format_version {version} is unknown.*reads 3'):
            load_deploy_config(_write(tmp_path / f'v{version}', other))
    assert load_deploy_config(_write(tmp_path / 'good',
                                     GOOD))['classes'] == ['a', 'b']
    with pytest.raises(ValueError, match='backend must be one of'):
        DeployedDetector(str(tmp_path / 'good'), backend='tensorrt')


@pytest.mark.parametrize('edit,message', [
    (lambda s: s['preprocess'].pop('resize'), 'preprocess.resize must be'),
    (lambda s: s['preprocess'].update(std=[1, 0, 1]),
     'preprocess.std must be 3 numbers above 0'),
    (lambda s: s.update(strides=[]), 'strides must be a non-empty list'),
    (lambda s: s.update(classes=['a', 'a']), 'classes has duplicate names'),
    (lambda s: s['test_cfg'].pop('nms_iou'), 'test_cfg must hold numbers'),
    (lambda s: s.update(score_fusion='mean'), "score_fusion 'mean'"),
])
def test_nested_settings_are_checked_and_named(tmp_path, edit, message):
    settings = json.loads(json.dumps(GOOD))
    edit(settings)
    with pytest.raises(DeployConfigError) as error:
        load_deploy_config(_write(tmp_path / 'edited', settings))
    assert 'deploy.json' in str(error.value)
    assert message in str(error.value)


def test_runtime_refuses_what_the_pipeline_refuses(tmp_path):
    """The same files the training pipeline's loader refuses, with the same
    reasons, before anything is decoded."""
    from mmcv.transforms import Compose

    from lodaa_plugin.deployment.preprocess import read_image
    from lodaa_plugin.image_bytes import ImageLoadError
    bomb = tmp_path / 'bomb.png'
    bomb.write_bytes(png_header_only(20000, 20000))
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    truncated = tmp_path / 'truncated.jpg'
    photo = open(_sample_photo(), 'rb').read()
    truncated.write_bytes(photo[:len(photo) // 2])
    loader = Compose([dict(type='LodaaLoadImageFromFile')])
    for path, reason in ((bomb, 'more than max_pixels'), (empty, 'empty file'),
                         (truncated, 'truncated JPEG')):
        with pytest.raises(ImageLoadError, match=reason) as pipeline:
            loader(dict(img_path=str(path)))
        with pytest.raises(ImageLoadError, match=reason) as runtime:
            read_image(str(path))
        assert str(path) in str(runtime.value)
        assert str(runtime.value) == str(pipeline.value)


def _sample_photo() -> str:
    from lodaa_testing import VOC07_ROOT
    return f'{VOC07_ROOT}/VOC2007/JPEGImages/000005.jpg'


@pytest.mark.parametrize('edit,message', [
    (lambda s: s.update(format_version='3'),
     "format_version must be the number 3, not '3' (str)"),
    (lambda s: s.update(format_version=None),
     'format_version must be the number 3, not None'),
    (lambda s: s.update(models='model.onnx'),
     'models must be an object from backend name to a file name'),
    (lambda s: s.update(end2end=dict(onnx=3)), 'end2end must be an object'),
    (lambda s: s.update(input='64x64'), "input '64x64' is not 'dynamic'"),
    (lambda s: s.update(input=[64, '64']), 'is not \'dynamic\' nor [H, W]'),
    (lambda s: s['preprocess'].update(max_pixels='1e6'),
     'preprocess.max_pixels must be a positive integer'),
])
def test_values_of_the_wrong_type_get_one_message_naming_the_file(
        tmp_path, edit, message):
    settings = json.loads(json.dumps(GOOD))
    edit(settings)
    with pytest.raises(DeployConfigError) as error:
        load_deploy_config(_write(tmp_path / 'typed', settings))
    assert str(tmp_path / 'typed' / 'deploy.json') in str(error.value)
    assert message in str(error.value)
    assert 'is unknown, this LODAA reads' not in str(error.value)


def test_a_deploy_json_that_is_not_an_object_or_has_a_bom(tmp_path):
    folder = tmp_path / 'list'
    folder.mkdir()
    (folder / 'deploy.json').write_text('[1, 2]')
    with pytest.raises(DeployConfigError, match='deploy.json: a JSON object'):
        load_deploy_config(str(folder))
    _write(tmp_path / 'bom', GOOD)
    path = tmp_path / 'bom' / 'deploy.json'
    path.write_bytes(b'\xef\xbb\xbf' + path.read_bytes())
    assert load_deploy_config(str(tmp_path / 'bom'))['classes'] == ['a', 'b']


def test_an_openvino_model_without_its_bin_is_named(tmp_path):
    from lodaa_plugin.deployment.runtime import ModelFileError, open_session
    settings = dict(
        GOOD,
        models=dict(onnx='model.onnx', openvino='model.xml'),
        end2end=dict(onnx='model.onnx'))
    folder = tmp_path / 'nobin'
    _write(folder, settings)
    (folder / 'model.xml').write_text('<net/>')
    with pytest.raises(DeployConfigError) as error:
        load_deploy_config(str(folder))
    assert 'model.bin is missing' in str(error.value)
    # the session names it too, for a graph opened without the folder's file
    with pytest.raises(ModelFileError) as error:
        open_session(str(folder / 'model.xml'), 'openvino', 'fp32', None)
    assert str(folder / 'model.bin') in str(error.value)
    assert str(folder / 'model.xml') in str(error.value)


def test_no_images_and_paths_are_taken_as_eager_takes_them(tmp_path):
    import pathlib

    import numpy as np

    from lodaa_plugin.deployment.preprocess import graph_inputs

    class NoSession:

        def __call__(self, inputs):
            raise AssertionError('nothing to run')

    detector = DeployedDetector.__new__(DeployedDetector)
    detector.session = NoSession()
    assert detector([]) == [] and detector(()) == []
    with pytest.raises(TypeError, match='wrap one image in a list'):
        detector(_sample_photo())
    with pytest.raises(TypeError, match='wrap one image in a list'):
        detector(pathlib.Path(_sample_photo()))
    from_path, _ = graph_inputs([pathlib.Path(_sample_photo())],
                                GOOD['preprocess'])
    from_str, _ = graph_inputs([_sample_photo()], GOOD['preprocess'])
    for key in from_str:
        assert np.array_equal(from_path[key], from_str[key])
    with pytest.raises(TypeError, match='file path or a BGR uint8 array'):
        graph_inputs([3], GOOD['preprocess'])
