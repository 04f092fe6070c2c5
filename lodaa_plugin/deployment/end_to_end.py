# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The exported graphs. Both take resized and padded uint8 pixels and
normalise them themselves (:func:`normalise`, the only normalisation of the
export); the network-only graph (:class:`ExportableFCOS`) ends at the head's
per-level maps, the end-to-end graph (:class:`EndToEndFCOS`) goes on through
the head's test-time rules
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

The network-only graph takes ``images`` and ``img_shapes`` and gives, per
level, class probabilities, then centerness probabilities, then distances
in pixels (``cls_i``, ``ctr_i``, ``box_i``).
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from ..models.dense_heads.fcos_postprocess import (FCOSTestRules,
                                                   batched_detections)

INPUT_NAMES = ('images', 'img_shapes', 'scale_factors')
OUTPUT_NAMES = ('num_dets', 'boxes', 'scores', 'labels')


def normalise(images: Tensor, img_shapes: Tensor, mean: Tensor, std: Tensor,
              bgr_to_rgb: bool) -> Tensor:
    """The data preprocessor's step: channel order, mean and std, zeros in
    the padding (mmdet pads after normalising).

    Args:
        images (Tensor): (N, 3, H, W) uint8 BGR, resized and padded.
        img_shapes (Tensor): (N, 2) height, width inside the padding.
        mean (Tensor): (1, 3, 1, 1), in the network's channel order.
        std (Tensor): (1, 3, 1, 1).
        bgr_to_rgb (bool): Swap the input's BGR channels to RGB first.

    Returns:
        Tensor: (N, 3, H, W) float32, the network's input.
    """
    x = images.float()
    if bgr_to_rgb:
        x = x.flip(1)
    x = (x - mean) / std
    rows = torch.arange(x.shape[2], device=x.device).view(1, -1, 1)
    cols = torch.arange(x.shape[3], device=x.device).view(1, 1, -1)
    inside = (rows < img_shapes[:, 0].view(-1, 1, 1)) & (
        cols < img_shapes[:, 1].view(-1, 1, 1))
    return x * inside.unsqueeze(1).to(x.dtype)


def detections_from_maps(
        maps: Sequence[Tensor], img_shapes: Tensor, scale_factors: Tensor,
        rules: FCOSTestRules) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """:func:`batched_detections` on the network-only graph's outputs.

    Args:
        maps (Sequence[Tensor]): Per level class probabilities, then
            centerness probabilities, then distances.
        img_shapes (Tensor): (N, 2) height, width inside the padding.
        scale_factors (Tensor): (N, 2) width, height resize factors.
        rules (FCOSTestRules): The head's test-time rules.

    Returns:
        tuple[Tensor]: ``num_dets``, ``boxes``, ``scores``, ``labels``.
    """
    levels = len(rules.strides)
    return batched_detections(maps[:levels], maps[levels:2 * levels],
                              maps[2 * levels:], img_shapes, scale_factors,
                              rules)


class ExportableFCOS(nn.Module):
    """The network-only graph: pixels to the head's eval-mode maps (sigmoid
    applied).

    Args:
        detector (nn.Module): LODAA's (or mmdet's) FCOS, in eval mode.
        mean (Sequence[float]): Normalisation mean, in the network's
            channel order.
        std (Sequence[float]): Normalisation standard deviation.
        bgr_to_rgb (bool): Swap the input's BGR channels to RGB first.
    """

    def __init__(self, detector: nn.Module, mean: Sequence[float],
                 std: Sequence[float], bgr_to_rgb: bool) -> None:
        super().__init__()
        self.detector = detector
        self.bgr_to_rgb = bgr_to_rgb
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, images: Tensor,
                img_shapes: Tensor) -> Tuple[Tensor, ...]:
        """Per level class maps, then centerness maps, then distance maps.

        Args:
            images (Tensor): (N, 3, H, W) uint8 BGR, resized and padded.
            img_shapes (Tensor): (N, 2) height, width inside the padding.

        Returns:
            tuple[Tensor]: ``3 x levels`` NCHW maps.
        """
        x = normalise(images, img_shapes, self.mean, self.std, self.bgr_to_rgb)
        cls, box, ctr = self.detector.bbox_head(self.detector.extract_feat(x))
        return (*[c.sigmoid() for c in cls], *[c.sigmoid() for c in ctr], *box)


class EndToEndFCOS(nn.Module):
    """LODAA's FCOS from pixels to detections: the network-only graph, then
    the head's test-time rules.

    Args:
        network (ExportableFCOS): The network-only graph.
        rules (FCOSTestRules): Its head's test-time rules.
    """

    def __init__(self, network: ExportableFCOS, rules: FCOSTestRules) -> None:
        super().__init__()
        self.network = network
        self.rules = rules

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
        return detections_from_maps(
            self.network(images, img_shapes), img_shapes, scale_factors,
            self.rules)


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
