# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/analysis/get_flops.py and print_config.py on LODAA's configs."""
import re
import subprocess

import pytest

from lodaa_testing import PYTHON, config_path, python_env, run_tool, tool_path


def _flops(tmp_path, side: int):
    output = run_tool([
        PYTHON,
        tool_path('analysis/get_flops.py'),
        config_path('fcos_voc_224.py'), '--shape',
        str(side)
    ],
                      cwd=str(tmp_path))
    found = re.search(r'([\d.]+) M parameters, [\d.]+ GFLOPs \((\d+) FLOPs',
                      output)
    return float(found.group(1)), int(found.group(2))


@pytest.mark.slow
def test_get_flops_counts_the_model(tmp_path):
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    cfg = Config.fromfile(config_path('fcos_voc_224.py'))
    cfg.model.backbone.init_cfg = None
    params = sum(p.numel() for p in MODELS.build(cfg.model).parameters())
    millions, flops = _flops(tmp_path, 224)
    assert millions == pytest.approx(params / 1e6, abs=0.005)
    # a convolutional network: twice the side, four times the work
    _, flops_448 = _flops(tmp_path, 448)
    assert flops_448 / flops == pytest.approx(4.0, rel=0.01)


@pytest.mark.slow
def test_print_config_shows_the_options_and_refuses_typos(tmp_path):
    output = run_tool([
        PYTHON,
        tool_path('analysis/print_config.py'),
        config_path('fcos_voc_224.py'), '--cfg-options',
        'model.bbox_head.num_classes=3'
    ],
                      cwd=str(tmp_path))
    head = output[output.index('bbox_head=dict('):]
    assert re.search(r'num_classes=(\d+)', head).group(1) == '3'
    assert "type='FCOSRegCenternessHead'" in output
    typo = subprocess.run([
        PYTHON,
        tool_path('analysis/print_config.py'),
        config_path('fcos_voc_224.py'), '--cfg-options', 'load_form=x.pth'
    ],
                          env=python_env(),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert typo.returncode != 0 and 'did you mean load_from' in typo.stderr
