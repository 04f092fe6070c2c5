# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""SimpleCNN's outputs have the shapes the classification heads expect."""
import pytest
import torch

from lodaa_plugin.models import SimpleCNN


def test_simple_cnn_shapes():
    net = SimpleCNN(input_size=64)
    assert net(torch.rand(2, 3, 64, 64))[0].shape == (2, 128)
    assert [type(m).__name__ for m in net.features] == [
        'Conv2d', 'ReLU', 'AvgPool2d', 'Conv2d', 'ReLU', 'AvgPool2d'
    ]
    assert net.features[0].kernel_size == (5, 5)
    assert net.fc[1].in_features == 64 * 13 * 13
    with pytest.raises(ValueError, match='built for'):
        net(torch.rand(1, 3, 96, 96))
