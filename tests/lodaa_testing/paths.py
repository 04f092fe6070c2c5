# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Where a LODAA checkout keeps its configs, tools and test data.

Valid in a source checkout (editable install), as mmdet's testing helpers
assume too; an installed wheel has no ``tests/data``.
"""
import os.path as osp

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'configs')
TOOLS_DIR = osp.join(REPO_ROOT, 'tools')
TEST_DATA_DIR = osp.join(REPO_ROOT, 'tests', 'data')
# real VOC samples shipped in tests/data (provenance in its README)
VOC07_ROOT = osp.join(TEST_DATA_DIR, 'voc2007_sample', 'VOCdevkit')
CELLS_ROOT = osp.join(TEST_DATA_DIR, 'cells_voc', 'VOCdevkit')
# four VOC2007 sample ids with objects of several classes
FOUR_IDS = ('000005', '000007', '000009', '000012')


def config_path(name: str) -> str:
    """Return the path of a config below ``configs/``.

    Args:
        name (str): E.g. ``'fcos_voc_224.py'``.

    Returns:
        str: The absolute path.
    """
    return osp.join(CONFIG_DIR, name)


def tool_path(name: str) -> str:
    """Return the path of a tool below ``tools/``.

    Args:
        name (str): E.g. ``'train.py'`` or ``'analysis/tsne.py'``.

    Returns:
        str: The absolute path.
    """
    return osp.join(TOOLS_DIR, name)
