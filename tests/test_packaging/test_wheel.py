# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""LODAA as a downstream project gets it: the wheel built by ``python -m
build``, installed (not editable) into a fresh virtual environment, used from
outside the checkout by a config with ``custom_imports``."""
import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile

import pytest

from lodaa_testing import PYTHON, REPO_ROOT
from lodaa_testing.configs import write_downstream_config
from lodaa_testing.voc_data import copy_voc_files

LAUNCHER = textwrap.dedent('''
    import sys
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(sys.argv[1])
    cfg.work_dir = sys.argv[2]
    Runner.from_cfg(cfg).train()
''')


def _run(args, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args],
                            cwd=str(cwd),
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=timeout)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result


@pytest.fixture(scope='module')
def dist(tmp_path_factory):
    """The sdist and the wheel of this checkout."""
    out = tmp_path_factory.mktemp('dist')
    _run([PYTHON, '-m', 'build', '--no-isolation', '--outdir', out, '.'],
         cwd=REPO_ROOT)
    wheels = list(out.glob('lodaa_plugin-*.whl'))
    sdists = list(out.glob('lodaa_plugin-*.tar.gz'))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(out)
    return wheels[0], sdists[0]


@pytest.mark.slow
def test_wheel_carries_the_package_configs_and_types(dist):
    wheel, _ = dist
    names = set(zipfile.ZipFile(wheel).namelist())
    assert 'lodaa_plugin/compat/kernels.py' in names
    assert 'lodaa_plugin/py.typed' in names
    for config in ('fcos_voc.py', 'fcos_voc_224.py',
                   '_base_/models/fcos_regnetx_400mf_fpn.py'):
        assert f'lodaa_plugin/.mim/configs/{config}' in names, config
    metadata = next(n for n in names if n.endswith('METADATA'))
    requires = [
        line for line in zipfile.ZipFile(wheel).read(
            metadata).decode().splitlines()
        if line.startswith('Requires-Dist: ')
    ]
    # mmengine imports pkg_resources, gone in setuptools 82
    assert any(
        line.startswith('Requires-Dist: setuptools') and '<82' in line
        for line in requires), requires
    # mmcv comes as mmcv-lite or mmcv: the wheel names neither
    assert not any('mmcv' in line for line in requires), requires
    assert any('mmdet' in line for line in requires), requires


@pytest.mark.slow
def test_installed_wheel_trains_a_downstream_config(dist, tmp_path):
    """A fresh venv holds only the wheel; the heavy dependencies come from
    this environment's site-packages through a ``.pth`` line, which does not
    run this environment's editable install of LODAA."""
    wheel, _ = dist
    venv = tmp_path / 'venv'
    _run([sys.executable, '-m', 'venv', '--without-pip', venv], tmp_path)
    python = venv / 'bin' / 'python'
    site = _run([
        python, '-c', 'import sysconfig; print(sysconfig.get_paths()'
        "['purelib'])"
    ], tmp_path).stdout.strip()
    with open(os.path.join(site, 'dependencies.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ('PYTHONPATH', 'VIRTUAL_ENV')
    }
    env['OMP_NUM_THREADS'] = '1'
    # pip resolves every requirement of the wheel from what is installed
    _run([
        sys.executable, '-m', 'pip', '--python', python, 'install',
        '--no-index', wheel
    ], tmp_path, env)

    where = _run([
        python, '-c', 'import lodaa_plugin, lodaa_plugin.utils as u; '
        'print(lodaa_plugin.__file__); print(u.configs_dir())'
    ], tmp_path, env).stdout.splitlines()[-2:]
    assert where[0].startswith(site), where
    assert where[1] == os.path.join(site, 'lodaa_plugin', '.mim', 'configs')

    root, _ = copy_voc_files(tmp_path / 'data')
    project = tmp_path / 'project'
    write_downstream_config(
        project / 'fcos_mine.py',
        os.path.join(where[1], 'fcos_voc_224.py'),
        "'lodaa_plugin', 'lodaa_plugin.compat.enable'",
        root,
        interval=2)
    (project / 'launch.py').write_text(LAUNCHER)
    result = _run([python, 'launch.py', 'fcos_mine.py', tmp_path / 'work'],
                  project, env)
    log = result.stdout + result.stderr
    assert 'pascal_voc/mAP' in log, log[-3000:]
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
