# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Sphinx configuration of LODAA's documentation (MyST Markdown, furo)."""
import os
import os.path as osp
import sys

DOCS = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(DOCS)
sys.path.insert(0, REPO_ROOT)
sys.path.insert(0, osp.join(DOCS, '_ext'))
# the API pages import the package; nothing here needs a GPU or a display
os.environ.setdefault('MPLBACKEND', 'Agg')

from lodaa_plugin.version import __version__  # noqa: E402

project = 'LODAA'
author = 'LODAA authors'
copyright = '2026, LODAA authors'
release = __version__
version = __version__

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'repo_paths',
]
source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build', 'README.md']
myst_enable_extensions = ['colon_fence', 'deflist']
myst_heading_anchors = 3

# Google-style docstrings, as mmdet and mmpretrain write them
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'members': True, 'show-inheritance': True}
# every reference to LODAA's own objects must resolve; mmcv / mmdet / torch
# types named in signatures and docstrings are not documented here
nitpicky = True
nitpick_ignore_regex = [(r'py:.*', r'(?!lodaa_plugin\.).*')]

html_theme = 'furo'
html_title = f'LODAA {__version__}'
html_static_path = ['_static']
