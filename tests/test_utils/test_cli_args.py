# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The argparse types that refuse settings which cannot mean anything."""
import argparse
import subprocess

import pytest

from lodaa_plugin.utils.cli_args import (fraction, non_negative_float,
                                         non_negative_int, positive_float,
                                         positive_int)
from lodaa_testing import PYTHON, python_env, tool_path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='tool.py')
    for name, kind in (('count', positive_int), ('skip', non_negative_int),
                       ('thr', fraction), ('rate', positive_float),
                       ('wait', non_negative_float)):
        parser.add_argument(f'--{name}', type=kind)
    return parser


def test_values_in_range_parse_to_numbers():
    args = _parser().parse_args([
        '--count', '1', '--skip', '0', '--thr', '1', '--rate', '0.5', '--wait',
        '0'
    ])
    assert (args.count, args.skip, args.thr, args.rate,
            args.wait) == (1, 0, 1.0, 0.5, 0.0)
    assert type(args.count) is int and type(args.thr) is float


@pytest.mark.parametrize('option, value, says', [
    ('--count', '0', '0 must be at least 1'),
    ('--count', '2.5', "'2.5' is not an integer"),
    ('--skip', '-1', '-1 must be at least 0'),
    ('--thr', '1.5', '1.5 must be in [0, 1]'),
    ('--thr', 'nan', 'nan must be in [0, 1]'),
    ('--thr', 'high', "'high' is not a number"),
    ('--rate', '0', '0 must be more than 0'),
    ('--wait', '-2', '-2 must be at least 0'),
])
def test_values_out_of_range_stop_the_tool_naming_the_option(
        capsys, option, value, says):
    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args([option, value])
    assert exit_.value.code == 2
    assert f'argument {option}: {says}' in capsys.readouterr().err


@pytest.mark.slow
def test_a_tool_refuses_a_zero_batch_before_loading_anything(tmp_path):
    result = subprocess.run([
        PYTHON,
        tool_path('image_demo.py'), 'photo.jpg', 'config.py', 'model.pth',
        '--batch-size', '0'
    ],
                            cwd=tmp_path,
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 2
    assert 'argument --batch-size: 0 must be at least 1' in result.stderr


def test_an_output_that_is_an_input_stops_the_tool(tmp_path, capsys):
    """By its path, another spelling, a symlink or a hard link."""
    import os

    from lodaa_plugin.utils.cli_args import (prepare_output_file,
                                             refuse_overwriting_inputs)
    source = tmp_path / 'in.pkl'
    source.write_bytes(b'input')
    (tmp_path / 'soft.pkl').symlink_to(source)
    os.link(source, tmp_path / 'hard.pkl')
    parser = argparse.ArgumentParser(prog='tool')
    for out in (source, tmp_path / '.' / 'in.pkl', tmp_path / 'soft.pkl',
                tmp_path / 'hard.pkl'):
        with pytest.raises(SystemExit) as stop:
            refuse_overwriting_inputs(parser, str(out), [None, str(source)])
        assert stop.value.code == 2
        assert f'--out {out} is the input {source}: writing it would ' \
            'destroy the input' in capsys.readouterr().err
    refuse_overwriting_inputs(parser, str(tmp_path / 'new.pkl'), [str(source)])
    refuse_overwriting_inputs(parser, None, [str(source)])
    # a missing folder is made and said; a file in the way is named
    out = tmp_path / 'a' / 'b' / 'out.json'
    prepare_output_file(parser, str(out), [str(source)])
    assert out.parent.is_dir()
    assert f'created the folder {out.parent}' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        prepare_output_file(parser, str(source / 'x.json'), [])
    assert f'{source} is a file, not a folder' in capsys.readouterr().err


def test_other_tools_refuse_an_output_that_is_an_input(tmp_path):
    """image_demo.py (a drawing over an input image), test.py --out (over
    the checkpoint) and plot_losses.py --out (over its log): refused before
    anything loads, the input left as it was."""
    from lodaa_testing import config_path
    photo = tmp_path / 'photo.png'
    photo.write_bytes(b'an input image')
    log = tmp_path / 'scalars.json'
    log.write_text('{"loss": 1.0, "step": 1}\n')
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'weights')
    config = config_path('fcos_voc_224.py')
    for tool, args in (
        ('image_demo.py', [photo, config, checkpoint, '--out-dir', tmp_path]),
        ('test.py', [config, checkpoint, '--out', checkpoint]),
        ('analysis/plot_losses.py', [log, '--out', log]),
    ):
        result = subprocess.run(
            [PYTHON, tool_path(tool)] + [str(a) for a in args],
            cwd=str(tmp_path),
            env=python_env(),
            capture_output=True,
            text=True,
            timeout=300)
        assert result.returncode == 2, (tool, result.stderr[-2000:])
        assert 'the input' in result.stderr, (tool, result.stderr[-2000:])
    assert photo.read_bytes() == b'an input image'
    assert checkpoint.read_bytes() == b'weights'
    assert log.read_text() == '{"loss": 1.0, "step": 1}\n'
