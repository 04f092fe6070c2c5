# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The course's small CNN, trained from scratch."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class SimpleCNN(BaseModule):
    """conv 5x5 3->32, ReLU, avg-pool 2; conv 5x5 32->64, ReLU, avg-pool 2;
    flatten; FC -> 128, ReLU.

    Args:
        input_size (int or tuple[int, int]): Input (H, W) the flattening is
            sized for; 64 in the course recipe. Defaults to 64.
        out_channels (int): Size of the output feature. Defaults to 128.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 input_size: Union[int, Sequence[int]] = 64,
                 out_channels: int = 128,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        h, w = (input_size,
                input_size) if isinstance(input_size, int) else input_size
        self.input_size = (h, w)
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 5), nn.ReLU(inplace=True), nn.AvgPool2d(2),
            nn.Conv2d(32, 64, 5), nn.ReLU(inplace=True), nn.AvgPool2d(2))
        fh, fw = ((h - 4) // 2 - 4) // 2, ((w - 4) // 2 - 4) // 2
        if fh < 1 or fw < 1:
            raise ValueError(f'input_size {self.input_size} is too small; '
                             'at least 16x16')
        self.fc = nn.Sequential(nn.Flatten(),
                                nn.Linear(64 * fh * fw, out_channels),
                                nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Compute the features of a batch.

        Args:
            x (Tensor): (N, 3, H, W) images of the configured size.

        Returns:
            tuple[Tensor]: One (N, out_channels) feature.
        """
        if tuple(x.shape[-2:]) != self.input_size:
            raise ValueError(
                f'SimpleCNN was built for {self.input_size} inputs, got '
                f'{tuple(x.shape[-2:])}: set input_size or resize in the '
                'pipeline')
        return (self.fc(self.features(x)), )
