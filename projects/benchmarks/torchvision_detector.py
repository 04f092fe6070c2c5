# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""torchvision's FCOS as an mmdet detector, so that mmengine's Runner trains
and evaluates it with the same data, optimizer, schedule and metric as
LODAA's FCOS (``tools/analysis/compare_detectors.py``).

Only the input side is mmdet's: the data preprocessor normalises and pads
the batch, which replaces torchvision's ``GeneralizedRCNNTransform``. The
network, the targets, the losses and the post-processing are torchvision's
``FCOS`` (``compute_loss``, ``postprocess_detections``) unchanged.
"""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData
from torchvision.models.detection.image_list import ImageList

from .torchvision_fcos import build_torchvision_fcos

# torchvision's loss names, as mmdet names them in logs
LOSS_NAMES = dict(
    classification='loss_cls',
    bbox_regression='loss_bbox',
    bbox_ctrness='loss_centerness')


@MODELS.register_module()
class TorchvisionFCOSDetector(BaseDetector):
    """torchvision's ``FCOS`` built as the twin of a LODAA model config.

    Args:
        twin_of (dict): The LODAA detector's model config (backbone taps,
            FPN, head depth, centre sampling radius and ``test_cfg`` are
            taken from it; see :func:`build_torchvision_fcos`).
        backbone_init (str, optional): A state dict file for the backbone
            (torchvision parameter names, as LODAA's backbone saves them).
            Defaults to None (random).
        data_preprocessor (dict, optional): mmdet's data preprocessor.
        init_cfg (dict, optional): Unused; torchvision initialises itself.
    """

    def __init__(self,
                 twin_of: dict,
                 backbone_init: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.fcos = build_torchvision_fcos(Config(dict(model=twin_of)), 0)
        self.backbone_init = backbone_init

    @property
    def backbone(self) -> torch.nn.Module:
        """The torchvision classifier's feature extractor."""
        return self.fcos.backbone.body

    def init_weights(self) -> None:
        """Load ``backbone_init`` into the backbone; every tensor of the file
        must have a place there."""
        if self.backbone_init is None:
            return
        state = torch.load(self.backbone_init, weights_only=True)
        state = state.get('state_dict', state)
        missing, unexpected = self.backbone.load_state_dict(
            state, strict=False)
        if unexpected or missing:
            raise ValueError(
                f'{self.backbone_init} does not fit the torchvision '
                f'backbone: unexpected {unexpected[:5]}, missing '
                f'{missing[:5]}')

    def _run(
        self, inputs: torch.Tensor, samples: List[DetDataSample]
    ) -> Tuple[Dict[str, torch.Tensor], List[torch.Tensor], list]:
        features = list(self.fcos.backbone(inputs).values())
        head_outputs = self.fcos.head(features)
        images = ImageList(inputs, [tuple(s.img_shape) for s in samples])
        anchors = self.fcos.anchor_generator(images, features)
        sizes = [f.size(2) * f.size(3) for f in features]
        return head_outputs, anchors, sizes

    def loss(self, batch_inputs: torch.Tensor,
             batch_data_samples: List[DetDataSample]) -> dict:
        """torchvision's FCOS losses, named as mmdet names them.

        Args:
            batch_inputs (Tensor): The preprocessed batch.
            batch_data_samples (list[DetDataSample]): With ``gt_instances``.

        Returns:
            dict: ``loss_cls``, ``loss_bbox`` and ``loss_centerness``.
        """
        head_outputs, anchors, sizes = self._run(batch_inputs,
                                                 batch_data_samples)
        targets = []
        for sample in batch_data_samples:
            boxes = sample.gt_instances.bboxes
            targets.append(
                dict(
                    boxes=getattr(boxes, 'tensor', boxes),
                    labels=sample.gt_instances.labels))
        losses = self.fcos.compute_loss(targets, head_outputs, anchors, sizes)
        return {LOSS_NAMES[k]: v for k, v in losses.items()}

    def predict(self,
                batch_inputs: torch.Tensor,
                batch_data_samples: List[DetDataSample],
                rescale: bool = True) -> List[DetDataSample]:
        """torchvision's post-processing, boxes scaled back to the image.

        Args:
            batch_inputs (Tensor): The preprocessed batch.
            batch_data_samples (list[DetDataSample]): Their meta data.
            rescale (bool): Boxes in original-image pixels. Defaults to
                True.

        Returns:
            list[DetDataSample]: With ``pred_instances``.
        """
        head_outputs, anchors, sizes = self._run(batch_inputs,
                                                 batch_data_samples)
        split_outputs = {
            k: list(v.split(sizes, dim=1))
            for k, v in head_outputs.items()
        }
        split_anchors = [list(a.split(sizes)) for a in anchors]
        detections = self.fcos.postprocess_detections(
            split_outputs, split_anchors,
            [tuple(s.img_shape) for s in batch_data_samples])
        for det, sample in zip(detections, batch_data_samples):
            boxes = det['boxes']
            if rescale:
                boxes = boxes / boxes.new_tensor(sample.scale_factor).repeat(2)
            sample.pred_instances = InstanceData(
                bboxes=boxes, scores=det['scores'], labels=det['labels'])
        return batch_data_samples

    def _forward(self,
                 batch_inputs: torch.Tensor,
                 batch_data_samples: Optional[list] = None) -> tuple:
        """The head's raw outputs (classification, boxes, centerness)."""
        features = list(self.fcos.backbone(batch_inputs).values())
        out = self.fcos.head(features)
        return out['cls_logits'], out['bbox_regression'], out['bbox_ctrness']

    def extract_feat(self, batch_inputs: torch.Tensor) -> tuple:
        """The FPN maps, finest first."""
        return tuple(self.fcos.backbone(batch_inputs).values())
