# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""SimpleCNN's outputs have the shapes the classification heads expect."""
import pytest
import torch

from lodaa_plugin.models import SimpleCNN


def test_simple_cnn_shapes():
    net = SimpleCNN(input_size=64)
    assert net(torch.rand(2, 3, 64, 64))[0].shape == (2, 128)
    with pytest.raises(ValueError, match='built for'):
        net(torch.rand(1, 3, 96, 96))
    # input_size sizes the classifier: the same 128-d feature at 96 px
    assert SimpleCNN(input_size=96)(torch.rand(1, 3, 96,
                                               96))[0].shape == (1, 128)
