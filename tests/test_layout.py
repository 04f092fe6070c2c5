# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The rooms keep their rules: what each package folder may import
(``docs/advanced_guides/layout.md`` states them)."""
import ast
import glob
import os.path as osp
from typing import Iterator, Tuple

import pytest

from lodaa_testing import REPO_ROOT

PACKAGE = osp.join(REPO_ROOT, 'lodaa_plugin')
# room -> rooms of lodaa_plugin it must never import
FORBIDDEN = {
    'compat': {'*'},
    'utils': {'*'},
    'visualization': {
        'compat', 'models', 'datasets', 'evaluation', 'engine', 'apis',
        'deployment'
    },
    'models': {
        'visualization', 'datasets', 'evaluation', 'engine', 'apis',
        'deployment'
    },
    'datasets':
    {'visualization', 'models', 'evaluation', 'engine', 'apis', 'deployment'},
    'evaluation':
    {'visualization', 'models', 'datasets', 'engine', 'apis', 'deployment'},
    'engine': {'apis', 'deployment'},
    'apis': {'deployment'},
    'deployment': set(),
}


def _imports(path: str) -> Iterator[Tuple[int, str]]:
    """Yield (line, absolute module) for each import of a file."""
    rel = osp.relpath(path, REPO_ROOT)
    package = osp.dirname(rel).split(osp.sep)
    if osp.basename(rel) == '__init__.py':
        package = osp.dirname(rel).split(osp.sep)
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = '.'.join(base +
                                  ([node.module] if node.module else []))
            else:
                module = node.module or ''
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f'{module}.{alias.name}'


def _room(module: str) -> str:
    parts = module.split('.')
    return parts[1] if parts[0] == 'lodaa_plugin' and len(parts) > 1 else ''


def _files(*patterns: str):
    for pattern in patterns:
        yield from glob.glob(osp.join(REPO_ROOT, pattern), recursive=True)


def test_nothing_outside_tests_imports_the_test_fixtures():
    offenders = [
        f'{osp.relpath(path, REPO_ROOT)}:{line} imports {module}'
        for path in _files('lodaa_plugin/**/*.py', 'tools/**/*.py',
                           'configs/**/*.py', 'projects/**/*.py')
        for line, module in _imports(path)
        if module.split('.')[0] == 'lodaa_testing'
    ]
    assert not offenders, offenders


def test_the_package_imports_nothing_that_stays_in_the_checkout():
    # the wheel holds lodaa_plugin/ alone: projects/ and tests/ stay behind
    offenders = [
        f'{osp.relpath(path, REPO_ROOT)}:{line} imports {module}'
        for path in _files('lodaa_plugin/**/*.py')
        for line, module in _imports(path)
        if module.split('.')[0] in ('projects', 'lodaa_testing', 'tests')
    ]
    assert not offenders, offenders


@pytest.mark.parametrize('room', sorted(FORBIDDEN))
def test_lower_rooms_never_import_higher_ones(room):
    offenders = []
    for path in _files(f'lodaa_plugin/{room}/**/*.py'):
        for line, module in _imports(path):
            target = _room(module)
            if not target or target == room or target == 'version':
                continue
            if '*' in FORBIDDEN[room] or target in FORBIDDEN[room]:
                offenders.append(
                    f'{osp.relpath(path, REPO_ROOT)}:{line} imports {module}')
    assert not offenders, offenders


def _rooms() -> set:
    return {
        osp.basename(osp.dirname(path))
        for path in _files('lodaa_plugin/*/__init__.py')
    }


def test_layout_md_states_the_import_rules_of_forbidden():
    """docs/advanced_guides/layout.md's "may import" column is FORBIDDEN."""
    import re
    rooms = _rooms()
    text = open(osp.join(REPO_ROOT, 'docs', 'advanced_guides',
                         'layout.md')).read()
    documented = {}
    for row in re.finditer(r'^\| `lodaa_plugin/(\w+)/` \|.*\| ([^|]*) \|$',
                           text, re.M):
        room, column = row.groups()
        if column.strip().startswith('nothing'):
            documented[room] = set()
        elif column.strip().startswith('anything'):
            documented[room] = rooms - {room}
        else:
            documented[room] = set(re.findall(r'`(\w+)`', column))
    assert set(documented) == rooms
    for room in rooms:
        forbidden = FORBIDDEN.get(room, set())
        allowed = set() if '*' in forbidden else rooms - forbidden - {room}
        assert documented[room] == allowed, room
