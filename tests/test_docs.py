# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The commands the README and the docs show run: every tool answers
``--help`` and knows every flag a page gives it, every ``make`` target
exists, and every link of the README leads somewhere."""
import glob
import os.path as osp
import re
import shlex
import subprocess
import sys
from functools import lru_cache
from typing import Dict, List

import pytest

from lodaa_testing import PYTHON, REPO_ROOT, python_env

PAGES = [osp.join(REPO_ROOT, 'README.md')] + sorted(
    glob.glob(osp.join(REPO_ROOT, 'docs', '**', '*.md'), recursive=True)) + \
    sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '**', 'README.md'),
                     recursive=True))
ENV_ASSIGNMENT = re.compile(r'^[A-Z_][A-Z0-9_]*=\S*$')


def shell_commands(text: str) -> List[str]:
    """Return the command lines of a page's ``bash`` code blocks, with
    continuation lines joined and comments removed.

    Args:
        text (str): A Markdown page.

    Returns:
        list[str]: One string per command.
    """
    commands = []
    for block in re.findall(r'```(?:bash|shell|sh)\n(.*?)```', text, re.S):
        joined = re.sub(r'\\\n\s*', ' ', block)
        for line in joined.splitlines():
            line = line.split(' #')[0].strip()
            if line and not line.startswith('#'):
                commands.append(line)
    return commands


def _words(command: str) -> List[str]:
    words = shlex.split(command)
    while words and ENV_ASSIGNMENT.match(words[0]):
        words.pop(0)
    return words


def _commands_by_tool() -> Dict[str, List[List[str]]]:
    tools: Dict[str, List[List[str]]] = {}
    for page in PAGES:
        for command in shell_commands(open(page, encoding='utf-8').read()):
            words = _words(command)
            if len(words) >= 2 and words[0] in ('python', 'bash') and \
                    words[1].startswith('tools/'):
                tools.setdefault(words[1], []).append(words[2:] + [page])
            elif words and words[0] == 'make':
                tools.setdefault('make', []).append(words[1:] + [page])
    return tools


COMMANDS = _commands_by_tool()


def test_the_pages_show_commands():
    # the walk below finds the commands (a broken fence would hide them)
    assert 'tools/train.py' in COMMANDS and 'tools/test.py' in COMMANDS
    assert len(COMMANDS) >= 15


@lru_cache(maxsize=None)
def _help(tool: str) -> str:
    result = subprocess.run([PYTHON, tool, '--help'],
                            cwd=REPO_ROOT,
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, f'{tool} --help: {result.stderr[-2000:]}'
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize('tool',
                         sorted(t for t in COMMANDS if t.endswith('.py')))
def test_python_tools_answer_help_and_know_their_flags(tool):
    assert osp.isfile(osp.join(REPO_ROOT, tool)), tool
    text = _help(tool)
    for *args, page in COMMANDS[tool]:
        for arg in args:
            flag = arg.split('=')[0]
            if flag.startswith('--'):
                assert re.search(re.escape(flag) + r'\b', text), (
                    f'{osp.relpath(page, REPO_ROOT)}: {tool} has no {flag}')


@pytest.mark.parametrize('tool',
                         sorted(t for t in COMMANDS if t.endswith('.sh')))
def test_shell_tools_exist_and_parse(tool):
    path = osp.join(REPO_ROOT, tool)
    assert osp.isfile(path), tool
    subprocess.run(['bash', '-n', path], check=True)


def test_make_targets_exist():
    makefile = open(osp.join(REPO_ROOT, 'Makefile')).read()
    targets = set(re.findall(r'^([\w-]+):', makefile, re.M))
    for *args, page in COMMANDS['make']:
        for arg in args:
            if '=' not in arg:
                assert arg in targets, (
                    f'{osp.relpath(page, REPO_ROOT)}: no make target {arg}')


def test_readme_links_lead_somewhere():
    text = open(osp.join(REPO_ROOT, 'README.md'), encoding='utf-8').read()
    links = re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', text)
    local = [link for link in links if '://' not in link]
    assert any(link.startswith('docs/') for link in local)
    for link in local:
        assert osp.exists(osp.join(REPO_ROOT, link)), link


def test_docs_path_check_finds_missing_paths():
    sys.path.insert(0, osp.join(REPO_ROOT, 'docs', '_ext'))
    try:
        from repo_paths import missing_paths
    finally:
        sys.path.pop(0)
    text = ('python tools/train.py configs/fcos_voc.py; see '
            'configs/no_such.py, tools/analysis/*.py, tools/nope/*.py, '
            'configs/NAME.py, projects/benchmarks/timing.py and '
            'configs/classification/simple_cnn_voc07.py (a removed name)')
    assert missing_paths(text, REPO_ROOT) == [
        'configs/no_such.py', 'tools/nope/*.py',
        'configs/classification/simple_cnn_voc07.py'
    ]


def test_api_reference_covers_every_registered_module():
    import importlib
    import inspect

    from mmdet.registry import (DATASETS, HOOKS, LOOPS, METRICS, MODELS,
                                TASK_UTILS, TRANSFORMS)
    from mmengine.registry import HOOKS as ENGINE_HOOKS
    from mmengine.registry import LOOPS as ENGINE_LOOPS
    from mmengine.registry import TRANSFORMS as ENGINE_TRANSFORMS
    from mmpretrain.registry import DATASETS as CLS_DATASETS
    from mmpretrain.registry import METRICS as CLS_METRICS
    from mmpretrain.registry import MODELS as CLS_MODELS

    import lodaa_plugin  # noqa: F401  (registers)

    api = open(osp.join(REPO_ROOT, 'docs', 'api.md')).read()
    documented = set(re.findall(r'automodule:: (\S+)', api))
    registered = set()
    for registry in (MODELS, DATASETS, METRICS, HOOKS, LOOPS, TASK_UTILS,
                     TRANSFORMS, CLS_MODELS, CLS_DATASETS, CLS_METRICS,
                     ENGINE_HOOKS, ENGINE_LOOPS, ENGINE_TRANSFORMS):
        for cls in registry.module_dict.values():
            if getattr(cls, '__module__', '').startswith('lodaa_plugin.'):
                registered.add(cls)
    assert len(registered) >= 15
    missing = []
    for cls in registered:
        parts = cls.__module__.split('.')
        homes = ['.'.join(parts[:i]) for i in range(2, len(parts) + 1)]
        if not any(
                home in documented and cls.__name__ in getattr(
                    importlib.import_module(home), '__all__', [cls.__name__])
                for home in homes):
            missing.append(f'{cls.__module__}.{cls.__name__}')
        assert inspect.getdoc(cls), f'{cls.__name__} has no docstring'
    assert not missing, missing
