# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The whole detector as one graph, from resized and padded pixels to the
final detections: normalisation, the network, and the head's test-time
rules
(:func:`~lodaa_plugin.models.dense_heads.fcos_postprocess.batched_detections`)
as ONNX / OpenVINO operators.

Inputs and outputs (the ``end2end`` graph's stable interface):

==================  ===========  ===========================================
name                shape        what
==================  ===========  ===========================================
``images``          N, 3, H, W   uint8 BGR pixels, each image resized as the
                                 test pipeline does and padded (any value)
                                 at the bottom and right to a common H, W
``img_shapes``      N, 2         float32 height, width of each resized image
``scale_factors``   N, 2         float32 width, height resize factors
``num_dets``        N            int64 detections of each image
``boxes``           N, K, 4      float32 x1, y1, x2, y2 in original pixels
``scores``          N, K         float32, best first
``labels``          N, K         int64 class index (-1 past ``num_dets``)
==================  ===========  ===========================================
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from ..models.dense_heads.fcos_postprocess import (FCOSTestRules,
                                                   batched_detections)

INPUT_NAMES = ('images', 'img_shapes', 'scale_factors')
OUTPUT_NAMES = ('num_dets', 'boxes', 'scores', 'labels')


class EndToEndFCOS(nn.Module):
    """LODAA's FCOS from pixels to detections.

    Args:
        detector (nn.Module): The detector, in eval mode.
        rules (FCOSTestRules): Its head's test-time rules.
        mean (Sequence[float]): Normalisation mean, in the network's
            channel order.
        std (Sequence[float]): Normalisation standard deviation.
        bgr_to_rgb (bool): Swap the input's BGR channels to RGB first.
    """

    def __init__(self, detector: nn.Module, rules: FCOSTestRules,
                 mean: Sequence[float], std: Sequence[float],
                 bgr_to_rgb: bool) -> None:
        super().__init__()
        self.detector = detector
        self.rules = rules
        self.bgr_to_rgb = bgr_to_rgb
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, images: Tensor, img_shapes: Tensor,
                scale_factors: Tensor) -> Tuple[Tensor, ...]:
        """Detect.

        Args:
            images (Tensor): (N, 3, H, W) uint8 BGR, resized and padded.
            img_shapes (Tensor): (N, 2) height, width inside the padding.
            scale_factors (Tensor): (N, 2) width, height resize factors.

        Returns:
            tuple[Tensor]: ``num_dets``, ``boxes``, ``scores``, ``labels``.
        """
        x = images.float()
        if self.bgr_to_rgb:
            x = x.flip(1)
        x = (x - self.mean) / self.std
        # mmdet pads after normalising, with zeros
        rows = torch.arange(x.shape[2], device=x.device).view(1, -1, 1)
        cols = torch.arange(x.shape[3], device=x.device).view(1, 1, -1)
        inside = (rows < img_shapes[:, 0].view(-1, 1, 1)) & (
            cols < img_shapes[:, 1].view(-1, 1, 1))
        x = x * inside.unsqueeze(1).to(x.dtype)
        cls, box, ctr = self.detector.bbox_head(self.detector.extract_feat(x))
        return batched_detections([c.sigmoid() for c in cls],
                                  [c.sigmoid() for c in ctr], box, img_shapes,
                                  scale_factors, self.rules)


def export_end_to_end_onnx(model: EndToEndFCOS, example: Sequence[Tensor],
                           path: str) -> None:
    """Write :class:`EndToEndFCOS` as ONNX, batch, height and width
    dynamic.

    Args:
        model (EndToEndFCOS): The graph.
        example (Sequence[Tensor]): Example inputs.
        path (str): The ``.onnx`` file.
    """
    dynamic = dict(
        images={
            0: 'batch',
            2: 'height',
            3: 'width'
        },
        img_shapes={0: 'batch'},
        scale_factors={0: 'batch'},
        num_dets={0: 'batch'},
        boxes={
            0: 'batch',
            1: 'detections'
        },
        scores={
            0: 'batch',
            1: 'detections'
        },
        labels={
            0: 'batch',
            1: 'detections'
        })
    torch.onnx.export(
        model,
        tuple(example),
        path,
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=dynamic,
        opset_version=17,
        dynamo=False)
