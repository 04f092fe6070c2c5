# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""``import lodaa_plugin`` changes in other libraries exactly what
``lodaa_plugin.compat.ON_IMPORT`` and the docs list; fixes and hints are
opt-in."""
import json
import os.path as osp
import re
import subprocess
import textwrap

import pytest

import lodaa_plugin
from lodaa_plugin.compat import ON_IMPORT
from lodaa_testing import PYTHON, REPO_ROOT, python_env

# Prints, as JSON, every attribute of the upstream libraries (module-level,
# class-level, and the entries of dicts held there) that the imports named
# in argv changed: a value replaced since before them, or any value whose
# code is LODAA's (a wrapper keeps the wrapped function's name, not its
# file). Registries are left out: registering is what the import is for.
SCRIPT = textwrap.dedent('''
    import importlib, inspect, json, sys, types
    import mmcv, mmcv.image, mmcv.utils.ext_loader, mmengine, torch
    import mmengine.dist, mmengine.model, mmengine.optim, mmengine.registry
    import mmengine.runner.checkpoint, mmpretrain.utils.dependency
    from mmengine.registry import Registry
    UPSTREAM = ('mmcv', 'mmdet', 'mmengine', 'mmpretrain', 'torch',
                'torchvision')
    OURS = sys.argv[1]

    def ours(value):
        if isinstance(value, (classmethod, staticmethod, types.MethodType)):
            value = value.__func__
        return isinstance(value, types.FunctionType) and \
            value.__code__.co_filename.startswith(OURS)

    def state():
        found = {}
        for name, module in list(sys.modules.items()):
            if not name.startswith(UPSTREAM) or not isinstance(
                    module, types.ModuleType):
                continue
            for attr, value in list(vars(module).items()):
                key = f'{name}.{attr}'
                found[key] = value
                if inspect.isclass(value) and value.__module__ == name:
                    for k, v in list(vars(value).items()):
                        found[f'{key}.{k}'] = v
                        if isinstance(v, dict):
                            for item, entry in list(v.items()):
                                found[f'{key}.{k}[{item!r}]'] = entry
        return {k: v for k, v in found.items()
                if not isinstance(v, Registry)}

    if sys.argv[2] == '--baseline':
        # the upstream modules alone, mmcv's kernel loader answered first
        # (without it mmdet.models does not import on mmcv-lite)
        import importlib.util, os
        spec = importlib.util.spec_from_file_location(
            '_compat', os.path.join(OURS, 'compat', '__init__.py'),
            submodule_search_locations=[os.path.join(OURS, 'compat')])
        compat = importlib.util.module_from_spec(spec)
        sys.modules['_compat'] = compat
        spec.loader.exec_module(compat)
        compat.install_kernel_fallbacks()
        imports = [m for m in json.loads(sys.argv[3])]
    else:
        imports = sys.argv[2:]
    before = state()
    for name in imports:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    after = state()
    changed = sorted(k for k, v in after.items()
                     if (k in before and before[k] is not v)
                     or (ours(v) and before.get(k) is not v))
    print(json.dumps(changed))
    print(json.dumps(sorted(m for m in sys.modules
                            if m.startswith(UPSTREAM))))
''')


def _run(*args: str) -> list:
    result = subprocess.run(
        [PYTHON, '-c', SCRIPT,
         osp.dirname(lodaa_plugin.__file__), *args],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()[-2:]]


def _changed(*imports: str) -> set:
    """What the imports changed in upstream libraries beyond what importing
    the same upstream modules without LODAA changes (torch's own lazy
    set-up)."""
    changed, modules = _run(*imports)
    upstream, _ = _run('--baseline', json.dumps(modules))
    return set(changed) - set(upstream)


def _attribute(key: str) -> str:
    """The attribute a key names, its dict entry cut off."""
    return key.split('[')[0]


@pytest.mark.slow
def test_import_changes_exactly_the_documented_attributes():
    changed = _changed('lodaa_plugin', 'lodaa_plugin.apis',
                       'lodaa_plugin.deployment', 'lodaa_plugin.engine',
                       'lodaa_plugin.evaluation', 'lodaa_plugin.models',
                       'lodaa_plugin.visualization')
    documented = {_attribute(key) for key in ON_IMPORT}
    undocumented = {k for k in changed if _attribute(k) not in documented}
    assert not undocumented, undocumented
    import importlib.util
    if importlib.util.find_spec('mmcv._ext') is None:  # mmcv-lite
        assert 'mmcv.utils.ext_loader.load_ext' in changed
    # the local checkpoint scheme wraps mmengine's, to advise
    assert "mmengine.runner.checkpoint.CheckpointLoader._schemes['']" in \
        changed


@pytest.mark.slow
def test_opt_ins_change_what_they_name():
    base = _changed('lodaa_plugin')
    fixes = _changed('lodaa_plugin', 'lodaa_plugin.compat.enable') - base
    assert {'mmcv.adjust_hue', 'mmcv.image.photometric.adjust_hue'} <= fixes
    assert "mmengine.runner.checkpoint.CheckpointLoader._schemes" \
        "['torchvision://']" in fixes
    assert not any(k.startswith('mmengine.registry') for k in fixes), fixes
    hints = _changed('lodaa_plugin', 'lodaa_plugin.compat.enable_hints')
    assert hints - base == {'mmengine.registry.registry.Registry.build'}


def test_the_docs_list_what_the_import_changes():
    """The package docstring, compat's and layout.md name each change."""
    import lodaa_plugin.compat as compat
    layout = open(osp.join(REPO_ROOT, 'docs', 'advanced_guides',
                           'layout.md')).read()
    for text in (lodaa_plugin.__doc__, compat.__doc__, layout):
        for key in ON_IMPORT:
            assert key in text or f'``{key}``' in text, key
        # and no other count than the list's
        count = rf'exactly (the )?({len(ON_IMPORT)}|three)\b'
        assert re.search(count, text), text[:300]
