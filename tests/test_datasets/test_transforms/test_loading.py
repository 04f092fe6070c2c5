# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LodaaLoadImageFromFile names unusable images and converts unusual ones."""
import io
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from lodaa_plugin.datasets import ImageLoadError, LodaaLoadImageFromFile
from lodaa_testing import VOC07_ROOT
from lodaa_testing.voc_data import png_header_only

JPEG = osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '000005.jpg')


# ----------------------------------------------------------------- images
def _load(path, **kwargs):
    return LodaaLoadImageFromFile(**kwargs)(dict(img_path=str(path)))


def _save(tmp_path, name, img, **kwargs):
    path = tmp_path / name
    img.save(path, **kwargs)
    return path


def test_broken_images_name_the_file_and_the_problem(tmp_path):
    data = open(JPEG, 'rb').read()
    cases = {
        'truncated.jpg': (data[:len(data) // 2], 'truncated JPEG'),
        'empty.jpg': (b'', 'empty file (0 bytes)'),
        'text.jpg': (b'this is not an image', 'not a decodable image'),
    }
    for name, (content, problem) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ImageLoadError) as err:
            _load(tmp_path / name)
        assert f'{tmp_path / name}: {problem}' in str(err.value)
    with pytest.raises(ImageLoadError, match='missing.jpg: cannot be read'):
        _load(tmp_path / 'missing.jpg')
    buffer = io.BytesIO()
    Image.new('RGB', (20, 20)).save(buffer, format='PNG')
    (tmp_path / 'cut.png').write_bytes(buffer.getvalue()[:-20])
    with pytest.raises(ImageLoadError, match='cut.png: truncated PNG'):
        _load(tmp_path / 'cut.png')


def test_skip_invalid_images_counts_them(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    loader = LodaaLoadImageFromFile(skip_invalid=True)
    assert loader(dict(img_path=str(tmp_path / 'empty.jpg'))) is None
    assert loader(dict(img_path=JPEG))['img'].shape == (375, 500, 3)
    assert loader.skipped == 1


def test_unusual_but_valid_images_are_converted(tmp_path):
    rgb = np.asarray(Image.open(JPEG).convert('RGB'))
    gray = _save(tmp_path, 'gray.jpg', Image.fromarray(rgb).convert('L'))
    cmyk = _save(tmp_path, 'cmyk.jpg', Image.fromarray(rgb).convert('CMYK'))
    png_as_jpg = _save(
        tmp_path, 'png_inside.jpg', Image.fromarray(rgb), format='PNG')
    deep = (rgb[..., 0].astype(np.uint16) * 257)
    sixteen = _save(tmp_path, 'deep.png', Image.fromarray(deep))
    for path in (gray, cmyk, png_as_jpg, sixteen):
        out = _load(path)
        assert out['img'].shape == (375, 500, 3), path
        assert out['img'].dtype == np.uint8, path
    # PNG content behind .jpg decodes to the same pixels (BGR)
    np.testing.assert_array_equal(_load(png_as_jpg)['img'], rgb[..., ::-1])
    np.testing.assert_allclose(
        _load(sixteen)['img'][..., 0], rgb[..., 0], atol=1)


def test_a_complete_jpeg_with_bytes_after_its_end_loads(tmp_path):
    data = open(JPEG, 'rb').read()
    path = tmp_path / 'phone.jpg'
    path.write_bytes(data + b'\x00' * 100 + b'trailer written by a phone app')
    assert _load(path)['img'].shape == _load(JPEG)['img'].shape


def test_too_many_pixels_are_refused_before_decoding(tmp_path):
    path = tmp_path / 'bomb.png'
    path.write_bytes(png_header_only(30000, 30000))
    assert path.stat().st_size < 1000
    with pytest.raises(ImageLoadError) as err:
        _load(path)
    assert f'{path}: 30000 x 30000 pixels, more than max_pixels' in str(
        err.value)
    small = _save(tmp_path, 'small.png', Image.new('RGB', (64, 32)))
    with pytest.raises(ImageLoadError, match='max_pixels=1,000'):
        _load(small, max_pixels=1000)
    assert _load(small, max_pixels=2048)['img'].shape == (32, 64, 3)


def test_an_image_that_disagrees_with_its_annotation_is_an_error(tmp_path):
    path = _save(tmp_path, 'placeholder.jpg', Image.new('RGB', (100, 50)))
    transform = LodaaLoadImageFromFile()
    with pytest.raises(ImageLoadError) as err:
        transform(dict(img_path=str(path), width=500, height=375))
    assert f'{path}: decoded 100 x 50 pixels, but its annotation says ' \
        '500 x 375' in str(err.value)
    skipping = LodaaLoadImageFromFile(skip_invalid=True)
    assert skipping(dict(img_path=str(path), width=500, height=375)) is None
    assert skipping.skipped == 1
    # no annotation size (classification): nothing to compare
    assert transform(dict(img_path=str(path)))['img'].shape == (50, 100, 3)


@pytest.mark.parametrize('annotated,expected', [((60, 40), (40, 60)),
                                                ((40, 60), (60, 40))])
def test_exif_orientation_follows_the_annotation(tmp_path, annotated,
                                                 expected):
    from lodaa_testing import logged_warnings
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 60 x 40, shown rotated by 90 degrees
    path = _save(
        tmp_path, 'rotated.jpg', Image.new('RGB', (60, 40), 'red'), exif=exif)
    with logged_warnings() as warnings:
        out = _load(path)
        assert out['img'].shape[:2] == (60, 40)  # mmcv applies EXIF
        width, height = annotated
        out = LodaaLoadImageFromFile()(
            dict(img_path=str(path), width=width, height=height))
    assert out['img'].shape[:2] == expected
    assert out['ori_shape'] == expected
    stored = annotated == (60, 40)
    assert any('EXIF orientation' in w and str(path) in w
               for w in warnings) == stored
