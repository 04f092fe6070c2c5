# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/dataset_converters/voc_to_coco.py: a COCO JSON file already in
the output folder (a labelling tool's export, say) is not replaced unless
asked."""
import json
import os.path as osp
import subprocess

from lodaa_testing import PYTHON, REPO_ROOT, python_env

TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'voc_to_coco.py')
YEAR = osp.join(REPO_ROOT, 'tests', 'data', 'cells_voc', 'VOCdevkit',
                'VOC2007')


def _convert(out_dir, *extra):
    return subprocess.run(
        [PYTHON, TOOL, YEAR, str(out_dir), *extra],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=300)


def test_an_existing_annotation_file_is_kept_unless_overwrite(tmp_path):
    theirs = tmp_path / 'annotations' / 'instances_test.json'
    theirs.parent.mkdir()
    theirs.write_text('{"from": "a labelling tool"}')
    refused = _convert(tmp_path)
    assert refused.returncode != 0
    assert f'{theirs} already exists and would be replaced' in \
        refused.stderr
    assert '--overwrite' in refused.stderr
    assert theirs.read_text() == '{"from": "a labelling tool"}'
    # nothing of the conversion was written either
    assert not (tmp_path / 'annotations' / 'instances_trainval.json').exists()
    done = _convert(tmp_path, '--overwrite')
    assert done.returncode == 0, done.stderr
    converted = json.loads(theirs.read_text())
    assert [c['name'] for c in converted['categories']] == ['cellbody']
    assert len(converted['images']) == 1
