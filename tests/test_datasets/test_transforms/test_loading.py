# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LodaaLoadImageFromFile names unusable images and converts unusual ones."""
import io
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from lodaa_plugin.datasets import ImageLoadError, LodaaLoadImageFromFile
from lodaa_plugin.testing import VOC07_ROOT

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
