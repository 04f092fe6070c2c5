# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Another project's config that pulls LODAA in with ``custom_imports``,
trained by launchers that are not LODAA's: a plain mmengine ``Runner``
script and mmdet's own ``tools/train.py`` (what ``mim train`` runs)."""
import os.path as osp
import subprocess
import textwrap

import mmdet
import pytest

from lodaa_testing import PYTHON, REPO_ROOT, python_env
from lodaa_testing.configs import write_downstream_config
from lodaa_testing.voc_data import copy_voc_files, edit_xml

COMPAT = "'lodaa_plugin', 'lodaa_plugin.compat.enable'"
PLAIN = "'lodaa_plugin'"
RUNNER_SCRIPT = textwrap.dedent('''
    import sys
    from mmengine.config import Config
    from mmengine.runner import Runner
    config, work_dir, mode = sys.argv[1:4]
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    if mode == 'resume':
        cfg.train_cfg.max_iters = 3
        cfg.resume = True
    if mode == 'test':
        cfg.load_from = sys.argv[4]
        Runner.from_cfg(cfg).test()
    else:
        Runner.from_cfg(cfg).train()
''')


def _project(tmp_path, imports: str) -> str:
    """Write a downstream project's config on LODAA's 224 recipe, two
    training iterations on two VOC photos, and return its path."""
    root, _ = copy_voc_files(tmp_path / 'data')
    return write_downstream_config(
        tmp_path / 'other_project' / f'fcos_{len(imports)}.py',
        osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'), imports, root)


def _run(args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args],
                          cwd=str(cwd),
                          env=python_env(),
                          capture_output=True,
                          text=True,
                          timeout=600)


@pytest.mark.slow
def test_plain_runner_trains_resumes_and_tests_with_the_compat_import(
        tmp_path):
    config = _project(tmp_path, COMPAT)
    script = tmp_path / 'launch.py'
    script.write_text(RUNNER_SCRIPT)
    work_dir = tmp_path / 'work'
    for mode in ('train', 'resume'):
        result = _run([PYTHON, script, config, work_dir, mode], tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 2' in result.stderr + result.stdout
    checkpoint = work_dir / 'iter_3.pth'
    assert checkpoint.is_file()
    result = _run([PYTHON, script, config, work_dir, 'test', checkpoint],
                  tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'pascal_voc/mAP' in result.stdout + result.stderr
    # mmdet's own launcher, as `mim train mmdet CONFIG` starts it, resumes
    # the plain Runner's checkpoint
    mmdet_train = osp.join(
        osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')
    result = _run([
        PYTHON, mmdet_train, config, '--work-dir', work_dir, '--resume',
        '--cfg-options', 'train_cfg.max_iters=4'
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 3' in result.stderr + result.stdout
    assert (work_dir / 'iter_4.pth').is_file()


@pytest.mark.slow
def test_without_the_compat_import_resume_names_the_import(tmp_path):
    """On torch >= 2.6 mmengine cannot resume its own checkpoints; the
    error names the file and the import that fixes it."""
    config = _project(tmp_path, PLAIN)
    script = tmp_path / 'launch.py'
    script.write_text(RUNNER_SCRIPT)
    work_dir = tmp_path / 'work'
    result = _run([PYTHON, script, config, work_dir, 'train'], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    result = _run([PYTHON, script, config, work_dir, 'resume'], tmp_path)
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-1]
    assert 'CheckpointLoadError' in error, result.stderr[-3000:]
    assert str(work_dir / 'iter_2.pth') in error
    assert "Add 'lodaa_plugin.compat.enable' to custom_imports" in error


@pytest.mark.slow
def test_plain_runner_gets_lodaas_errors(tmp_path):
    """A broken annotation stops a plain Runner with LODAA's message, which
    names the file and the line."""
    config = _project(tmp_path, COMPAT)
    xml = (
        tmp_path / 'data' / 'VOCdevkit' / 'VOC2007' / 'Annotations' /
        '000007.xml')
    edit_xml(xml,
             lambda r: setattr(r.find('object/bndbox/xmin'), 'text', 'twelve'))
    script = tmp_path / 'launch.py'
    script.write_text(RUNNER_SCRIPT)
    result = _run([PYTHON, script, config, tmp_path / 'work', 'train'],
                  tmp_path)
    assert result.returncode != 0
    error = result.stderr[result.stderr.rfind('VOCAnnotationError'):]
    assert f"{xml}: line " in error, result.stderr[-3000:]
    assert "<xmin> is 'twelve', not a finite number" in error
