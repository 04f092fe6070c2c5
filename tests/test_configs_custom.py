# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The custom-dataset guide's commands, word for word: a one-class
VOC-layout set and its COCO-JSON conversion train and test from the
templates in configs/custom/."""
import os
import os.path as osp
import re
import shlex

import pytest

from lodaa_testing import PYTHON, REPO_ROOT, run_tool

GUIDE = osp.join(REPO_ROOT, 'docs', 'user_guides', 'datasets.md')


def _guide_commands(marker: str):
    """The guide's bash commands that name ``marker``, in page order."""
    text = open(GUIDE, encoding='utf-8').read()
    commands = []
    for block in re.findall(r'```bash\n(.*?)```', text, re.S):
        for line in re.sub(r'\\\n\s*', ' ', block).splitlines():
            if marker in line:
                commands.append(shlex.split(line))
    return commands


def _checkout_copy(tmp_path):
    """A folder where the guide's relative paths resolve, writing
    work_dirs/ there instead of in the checkout."""
    for name in ('tools', 'configs', 'tests'):
        os.symlink(osp.join(REPO_ROOT, name), tmp_path / name)
    return tmp_path


def _run_guide(template: str, cwd) -> list:
    """Runs the guide's commands for ``template``; returns their outputs."""
    commands = _guide_commands('voc_to_coco.py') if 'coco' in template \
        else []
    commands += _guide_commands(f'configs/custom/{template}.py')
    assert [c[1] for c in commands][-2:] == ['tools/train.py', 'tools/test.py']
    outputs = []
    for words in commands:
        assert words[0] == 'python'
        outputs.append(run_tool([PYTHON] + words[1:], cwd=str(cwd)))
    # one class, scored on the held-out list
    assert re.search(r'\| cellbody +\|', outputs[-1])
    assert osp.isfile(cwd / 'work_dirs' / template / 'iter_20.pth')
    return outputs


def _losses(output: str) -> list:
    return re.findall(r'Iter\(train\) \[ *(\d+)/20\].*? loss: ([\d.]+)',
                      output)


@pytest.mark.slow
def test_the_guide_trains_and_tests_a_custom_dataset(tmp_path):
    cwd = _checkout_copy(tmp_path)
    voc = _run_guide('fcos_custom_voc', cwd)
    coco = _run_guide('fcos_custom_coco', cwd)
    # the guide's seed: the converted set feeds the model the same images
    # and boxes, so both runs print the same losses and the same test mAP
    assert len(_losses(voc[-2])) >= 10
    assert _losses(coco[-2]) == _losses(voc[-2])
    voc_map = re.findall(r'pascal_voc/mAP: ([\d.]+)', voc[-1])
    assert voc_map and re.findall(r'pascal_voc/mAP: ([\d.]+)',
                                  coco[-1]) == voc_map
    assert 'Evaluating bbox' in coco[-1]  # and mmdet's CocoMetric scored it
