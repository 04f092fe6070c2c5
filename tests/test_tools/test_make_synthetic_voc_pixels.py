# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""make_synthetic_voc.py --object-pixels: large images with small objects
(sliced inference's benchmark set)."""
import glob
import os.path as osp
import xml.etree.ElementTree as ET

from lodaa_testing import PYTHON, REPO_ROOT, run_tool


def test_object_pixels_sets_the_object_size_in_pixels(tmp_path):
    run_tool([
        PYTHON,
        osp.join(REPO_ROOT, 'tools', 'make_synthetic_voc.py'),
        str(tmp_path), '--trainval', '3', '--test', '0', '--size', '512',
        '384', '--object-pixels', '8', '20', '--max-objects', '30'
    ],
             cwd=tmp_path)
    sides = []
    for path in glob.glob(
            str(tmp_path / 'VOCdevkit' / 'VOC2007' / 'Annotations' / '*.xml')):
        root = ET.parse(path).getroot()
        assert root.find('size/width').text == '512'
        for box in root.iter('bndbox'):
            x1, y1, x2, y2 = (
                int(box.find(k).text)
                for k in ('xmin', 'ymin', 'xmax', 'ymax'))
            sides.append(max(x2 - x1, y2 - y1) + 1)
    assert len(sides) > 10
    # a side of at most 20 pixels, rotated and stretched (aspect up to 2)
    # at most about 20 * 1.42 * 1.3; never the default (8-50% of 384 px)
    assert max(sides) <= 40
