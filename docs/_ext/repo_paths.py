# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Check every repository path a page names.

A page that names ``configs/...``, ``tools/...``, ``lodaa_plugin/...``,
``projects/...``, ``tests/...`` or ``docs/...`` (in inline code, a code block
or a link) must name a file or folder that exists; otherwise the build warns,
and with ``-W`` (``make docs``, CI) fails. Placeholders in capitals
(``configs/NAME.py``) and globs that match something are accepted. The
changelog is not checked: it names files as they were when it was written.
"""
import glob
import os.path as osp
import re
from typing import Dict, List

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
ROOTS = ('configs', 'tools', 'lodaa_plugin', 'projects', 'tests', 'docs')
PATH = re.compile(r'(?<![\w./-])((?:%s)/[\w.*/-]*[\w*/])' % '|'.join(ROOTS))
PLACEHOLDER = re.compile(r'(^|/)[A-Z][A-Z0-9_]+(\.|/|$)')


def missing_paths(text: str, repo_root: str) -> List[str]:
    """Return the repository paths named in ``text`` that do not exist.

    Args:
        text (str): Page text (inline code, a code block or a link target).
        repo_root (str): The checkout's root.

    Returns:
        list[str]: The missing paths, in order of appearance.
    """
    missing = []
    for path in PATH.findall(text):
        path = path.rstrip('.')
        if PLACEHOLDER.search(path):
            continue
        full = osp.join(repo_root, path)
        if '*' in path:
            if not glob.glob(full, recursive=True):
                missing.append(path)
        elif not osp.exists(full):
            missing.append(path)
    return missing


def _check(app: Sphinx, doctree: nodes.document) -> None:
    if app.env.docname == 'changelog':
        return
    repo_root = osp.dirname(app.srcdir.__fspath__())
    seen: Dict[str, int] = {}
    for node in doctree.traverse(
            lambda n: isinstance(n, (nodes.literal, nodes.literal_block,
                                     nodes.reference))):
        text = node.get('refuri', '') if isinstance(
            node, nodes.reference) else node.astext()
        for path in missing_paths(text, repo_root):
            if path in seen:
                continue
            seen[path] = 1
            LOGGER.warning(
                'names %s, which does not exist in the repository',
                path,
                location=node,
                type='lodaa',
                subtype='repo_path')


def setup(app: Sphinx) -> dict:
    """Register the check.

    Args:
        app (Sphinx): The application.

    Returns:
        dict: Extension metadata.
    """
    app.connect('doctree-read', _check)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
