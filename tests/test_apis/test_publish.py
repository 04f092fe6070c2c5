# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A published checkpoint keeps weights and meta, names its SHA-256, and
loads with a bare torch.load."""
import hashlib
import re

import pytest
import torch

from lodaa_testing import PYTHON, run_tool, tool_path
from lodaa_testing.toy import run_toy


@pytest.mark.slow
def test_publish_strips_training_state_and_names_the_hash(tmp_path):
    result = run_toy([tmp_path / 'work', 1])
    assert result.returncode == 0, result.stderr[-2000:]
    source = tmp_path / 'work' / 'epoch_1.pth'
    output = run_tool([
        PYTHON,
        tool_path('publish_model.py'),
        str(source),
        str(tmp_path / 'out' / 'toy.pth')
    ],
                      cwd=str(tmp_path))
    path = re.search(r'as (\S+toy-[0-9a-f]{8}\.pth)', output).group(1)
    data = open(path, 'rb').read()
    assert path.endswith(f'-{hashlib.sha256(data).hexdigest()[:8]}.pth')
    # a bare torch.load: weights_only=True, no allow-list, no LODAA
    published = torch.load(path, weights_only=True)
    assert set(published) == {'meta', 'state_dict'}
    original = torch.load(source, weights_only=False)
    assert {'optimizer', 'message_hub'} <= set(original)
    for name, value in original['state_dict'].items():
        assert torch.equal(published['state_dict'][name], value), name
    assert published['meta']['epoch'] == original['meta']['epoch']
    assert len(data) < source.stat().st_size
