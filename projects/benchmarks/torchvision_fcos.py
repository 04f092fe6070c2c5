# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""torchvision's FCOS built as the twin of a LODAA config, with its weights.

The twin has the same backbone taps, FPN levels and widths, tower depth,
GroupNorm (and its groups), centre sampling, frozen BatchNorm and frozen
stages, so that speed and accuracy comparisons measure implementations, not
models; the losses stay torchvision's own (GIoU, plain mean over the
foreground).
"""
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.structures import InstanceData
from torchvision.ops.misc import FrozenBatchNorm2d

from lodaa_plugin.models.backbones.torchvision_backbone import default_layout

# torchvision FCOS decodes box distances in units of its anchor size, and
# assigns objects to levels by it: centre sampling within 1.5 anchor sizes,
# object sizes from 4 to 8 anchor sizes per level. Anchors one stride wide,
# as in torchvision's own fcos_resnet50_fpn, give LODAA's regress ranges
# (0-64-128-256-512-inf) and radius; wider ones would put every object on
# the finest level and match locations far from its centre.
ANCHOR_STRIDES = 1


def random_targets(batch: int, size: int, boxes: int, num_classes: int,
                   gen: torch.Generator) -> List[Dict[str, torch.Tensor]]:
    """Draw random boxes and labels in torchvision's target format.

    Args:
        batch (int): Images.
        size (int): Image side in pixels.
        boxes (int): Boxes per image.
        num_classes (int): Labels are drawn from ``range(num_classes)``.
        gen (torch.Generator): The random source.

    Returns:
        list[dict]: Per image ``boxes`` (boxes, 4) x1y1x2y2 and ``labels``.
    """
    targets = []
    for _ in range(batch):
        xy = torch.rand(boxes, 2, generator=gen) * size * 0.7
        wh = torch.rand(boxes, 2, generator=gen) * size * 0.3 + 8
        targets.append(
            dict(
                boxes=torch.cat([xy, (xy + wh).clamp(max=size - 1)], 1),
                labels=torch.randint(num_classes, (boxes, ), generator=gen)))
    return targets


class TwinBackbone(nn.Module):
    """Build the LODAA config's torchvision taps and FPN for torchvision's
    FCOS, which wants an OrderedDict of maps and ``out_channels``.

    Args:
        cfg (Config): A LODAA detection config.
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        from torchvision.models.feature_extraction import \
            create_feature_extractor
        from torchvision.ops.feature_pyramid_network import (
            FeaturePyramidNetwork, LastLevelP6P7)
        neck, backbone = cfg.model.neck, cfg.model.backbone
        # torchvision's detection recipe: frozen BatchNorm (as LODAA's
        # norm_eval) and the first stages frozen (as frozen_stages)
        tv = torchvision_model(
            backbone.model_name,
            norm_layer=FrozenBatchNorm2d
            if backbone.get('norm_eval', True) else None)
        steps, stages = default_layout(backbone.model_name, tv)
        frozen = backbone.get('frozen_stages', -1)
        if frozen >= 0:
            stem = steps[:len(steps) - len(stages)]
            for name in stem + stages[:frozen]:
                for param in tv.get_submodule(name).parameters():
                    param.requires_grad = False
        self.body = create_feature_extractor(
            tv, {stages[i]: str(i)
                 for i in backbone.out_indices})
        extra = None
        if neck.num_outs > len(backbone.out_indices):
            extra = LastLevelP6P7(neck.out_channels, neck.out_channels)
        self.fpn = FeaturePyramidNetwork(
            list(neck.in_channels), neck.out_channels, extra_blocks=extra)
        self.out_channels = neck.out_channels

    def forward(self, x: torch.Tensor) -> 'OrderedDict[str, torch.Tensor]':
        """Return the FPN maps of a batch, finest first."""
        return self.fpn(self.body(x))


def torchvision_model(name: str,
                      norm_layer: Optional[Callable] = None) -> nn.Module:
    """Build a torchvision classifier with random weights.

    Args:
        name (str): torchvision model name, e.g. ``'regnet_x_400mf'``.
        norm_layer (Callable, optional): Normalisation layer class; the
            model's own when None. Defaults to None.

    Returns:
        nn.Module: The classifier.
    """
    import torchvision
    kwargs = {} if norm_layer is None else dict(norm_layer=norm_layer)
    return torchvision.models.get_model(name, weights=None, **kwargs)


def build_torchvision_fcos(cfg: Config, size: int) -> nn.Module:
    """Build torchvision's FCOS matching the LODAA config's model.

    Args:
        cfg (Config): A LODAA detection config.
        size (int): Square input side; the twin's transform keeps it.

    Returns:
        nn.Module: ``torchvision.models.detection.FCOS`` with the config's
        taps, FPN, tower depth, centre sampling and test settings.
    """
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    head = cfg.model.bbox_head
    backbone = TwinBackbone(cfg)
    levels = len(head.strides)
    anchors = AnchorGenerator(
        sizes=tuple((s * ANCHOR_STRIDES, ) for s in head.strides),
        aspect_ratios=((1.0, ), ) * levels)
    model = FCOS(
        backbone,
        num_classes=head.num_classes,
        min_size=size,
        max_size=size,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
        anchor_generator=anchors,
        center_sampling_radius=head.center_sample_radius,
        score_thresh=cfg.model.test_cfg.score_thr,
        nms_thresh=cfg.model.test_cfg.nms.iou_threshold,
        detections_per_img=cfg.model.test_cfg.max_per_img,
        topk_candidates=cfg.model.test_cfg.nms_pre)
    # torchvision's towers are 4 conv-GN(32)-ReLU at the FPN width; match
    # the depth and the GroupNorm groups
    from functools import partial

    from torchvision.models.detection.fcos import (FCOSClassificationHead,
                                                   FCOSRegressionHead)
    groups = head.get('norm_cfg', {}).get('num_groups', 32)
    norm = partial(nn.GroupNorm, groups)
    model.head.classification_head = FCOSClassificationHead(
        backbone.out_channels,
        1,
        head.num_classes,
        num_convs=head.stacked_convs,
        norm_layer=norm)
    model.head.regression_head = FCOSRegressionHead(
        backbone.out_channels,
        1,
        num_convs=head.stacked_convs,
        norm_layer=norm)
    return model


def share_weights(lodaa: nn.Module, tv: nn.Module) -> None:
    """Load LODAA's weights into its torchvision twin.

    LODAA's normalised head predicts ``relu(scale * reg) * stride``, the
    twin ``relu(reg') * ANCHOR_STRIDES * stride``; with one scale for all
    levels, ``reg' = reg * scale / ANCHOR_STRIDES`` gives the same boxes
    (exact under ReLU). BatchNorm counters have no twin.

    Args:
        lodaa (nn.Module): LODAA's detector, built from the config.
        tv (nn.Module): The twin from :func:`build_torchvision_fcos`.

    Raises:
        ValueError: If the head is not normalised, its per-level scales
            differ, or a parameter of either model has no counterpart.
    """
    head = lodaa.bbox_head
    scales = {s.scale.item() for s in head.scales}
    if not head.norm_on_bbox or len(scales) != 1:
        raise ValueError('weights can be shared only with norm_on_bbox=True '
                         f'and equal per-level scales, got {sorted(scales)}')
    box_factor = scales.pop() / ANCHOR_STRIDES
    renames = [('backbone.', 'backbone.body.'),
               ('bbox_head.conv_cls.', 'head.classification_head.cls_logits.'),
               ('bbox_head.conv_reg.', 'head.regression_head.bbox_reg.'),
               ('bbox_head.conv_centerness.',
                'head.regression_head.bbox_ctrness.')]
    fpn_in = len(lodaa.neck.lateral_convs)
    for i in range(fpn_in):
        renames.append((f'neck.lateral_convs.{i}.conv.',
                        f'backbone.fpn.inner_blocks.{i}.0.'))
    for i in range(len(lodaa.neck.fpn_convs)):
        extra = {fpn_in: 'p6', fpn_in + 1: 'p7'}.get(i)
        renames.append(
            (f'neck.fpn_convs.{i}.conv.', f'backbone.fpn.extra_blocks.{extra}.'
             if extra else f'backbone.fpn.layer_blocks.{i}.0.'))
    for tower, twin in (('cls', 'classification'), ('reg', 'regression')):
        for i in range(head.stacked_convs):
            # torchvision's tower Sequential: conv, GroupNorm, ReLU per layer
            renames += [(f'bbox_head.{tower}_convs.{i}.conv.',
                         f'head.{twin}_head.conv.{3 * i}.'),
                        (f'bbox_head.{tower}_convs.{i}.gn.',
                         f'head.{twin}_head.conv.{3 * i + 1}.')]
    state = {}
    for name, value in lodaa.state_dict().items():
        if name.endswith('num_batches_tracked') or name.startswith(
                'bbox_head.scales.'):
            continue
        old, new = next(((o, n) for o, n in renames if name.startswith(o)),
                        (None, None))
        if old is None:
            raise ValueError(f'LODAA parameter {name} has no torchvision twin')
        if old == 'bbox_head.conv_reg.':
            value = value * box_factor
        state[new + name[len(old):]] = value
    missing, unexpected = tv.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f'weights do not match the torchvision twin: missing '
                         f'{missing}, unexpected {unexpected}')


def head_outputs(
        lodaa: nn.Module, tv: nn.Module, images: List[torch.Tensor],
        strides: List[int]) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """Compute both models' head outputs on the same images.

    LODAA's outputs are laid out as torchvision's (images, locations,
    channels), boxes in pixels.

    Args:
        lodaa (nn.Module): LODAA's detector, in eval mode.
        tv (nn.Module): Its torchvision twin, in eval mode.
        images (list[Tensor]): RGB uint8 (3, H, W) images.
        strides (list[int]): The head's strides.

    Returns:
        dict: ``cls``, ``box`` and ``ctr`` map to pairs (LODAA, torchvision).
    """
    with torch.no_grad():
        # LODAA reads BGR like mmcv's image loading and converts to RGB
        data = lodaa.data_preprocessor(
            dict(inputs=[img.flip(0) for img in images]), False)
        cls, box, ctr = lodaa._forward(data['inputs'])
        batch, _ = tv.transform([img.float() / 255 for img in images])
        out = tv.head(list(tv.backbone(batch.tensors).values()))

    def flat(maps):
        return torch.cat([m.flatten(2).transpose(1, 2) for m in maps], 1)

    sizes = [m[0, 0].numel() for m in cls]
    anchor = torch.cat([
        torch.full((n, 1), float(s * ANCHOR_STRIDES), device=cls[0].device)
        for n, s in zip(sizes, strides)
    ])
    return dict(
        cls=(flat(cls), out['cls_logits']),
        box=(flat(box), out['bbox_regression'] * anchor),
        ctr=(flat(ctr), out['bbox_ctrness']))


def lodaa_batch(images: List[torch.Tensor],
                targets: List[Dict[str, torch.Tensor]], size: int) -> dict:
    """Pack images and torchvision-style targets as LODAA's model input.

    Args:
        images (list[Tensor]): (3, size, size) images, BGR as mmcv loads.
        targets (list[dict]): ``boxes`` and ``labels`` per image.
        size (int): Image side.

    Returns:
        dict: ``inputs`` and ``data_samples`` for ``data_preprocessor``.
    """
    from mmdet.structures import DetDataSample
    samples = []
    for t in targets:
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=t['boxes'], labels=t['labels'])
        sample.ignored_instances = InstanceData(
            bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long())
        samples.append(sample)
    return dict(inputs=list(images), data_samples=samples)


class TwinSteps:
    """One training or inference step of LODAA's FCOS or its twin, on the
    same images and boxes.

    Inference runs on copies that training leaves alone, so that both
    models post-process the outputs of the same weights.

    Args:
        lodaa (nn.Module): LODAA's detector.
        twin (nn.Module): Its torchvision twin, same weights.
        images (list[Tensor]): RGB uint8 (3, size, size) images.
        targets (list[dict]): ``boxes`` and ``labels`` per image.
        size (int): Image side.
        device (str): Where the models run.
        amp (str): ``'none'``, ``'fp16'`` or ``'bf16'``. Defaults to
            ``'none'``.
    """

    def __init__(self,
                 lodaa: nn.Module,
                 twin: nn.Module,
                 images: List[torch.Tensor],
                 targets: List[Dict[str, torch.Tensor]],
                 size: int,
                 device: str,
                 amp: str = 'none') -> None:
        import copy
        self.models = dict(lodaa=lodaa.to(device), torchvision=twin.to(device))
        self.eval_models = {
            name: copy.deepcopy(m).eval()
            for name, m in self.models.items()
        }
        self.optims = {
            name:
            torch.optim.SGD([p for p in m.parameters() if p.requires_grad],
                            lr=1e-3,
                            momentum=0.9)
            for name, m in self.models.items()
        }
        self.amp = amp
        self.device_type = device.split(':')[0]
        self.scaler = torch.amp.GradScaler(enabled=amp == 'fp16')
        self.tv_images = [(img.float() / 255).to(device) for img in images]
        self.tv_targets = [{
            k: v.to(device)
            for k, v in t.items()
        } for t in targets]
        # the same pixels: LODAA reads BGR and converts, torchvision RGB
        self.lodaa_data = lodaa_batch([img.flip(0) for img in images], targets,
                                      size)

    def _autocast(self) -> torch.autocast:
        dtype = torch.bfloat16 if self.amp == 'bf16' else torch.float16
        return torch.autocast(
            self.device_type, dtype=dtype, enabled=self.amp != 'none')

    def train(self, name: str) -> float:
        """Take one SGD step of model ``name``.

        Args:
            name (str): ``'lodaa'`` or ``'torchvision'``.

        Returns:
            float: The total loss.
        """
        model = self.models[name]
        model.train()
        with self._autocast():
            if name == 'lodaa':
                data = model.data_preprocessor(self.lodaa_data, True)
                loss, _ = model.parse_losses(model(**data, mode='loss'))
            else:
                loss = sum(model(self.tv_images, self.tv_targets).values())
        self.optims[name].zero_grad()
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optims[name])
        self.scaler.update()
        return float(loss.detach())

    def infer(self, name: str, num: Optional[int] = None) -> List[int]:
        """Detect objects in the first ``num`` images with model ``name``.

        Args:
            name (str): ``'lodaa'`` or ``'torchvision'``.
            num (int, optional): Images; all when None. Defaults to None.

        Returns:
            list[int]: Detections per image.
        """
        model = self.eval_models[name]
        num = num or len(self.tv_images)
        with torch.no_grad(), self._autocast():
            if name == 'torchvision':
                return [len(r['boxes']) for r in model(self.tv_images[:num])]
            data = model.data_preprocessor(
                dict(
                    inputs=self.lodaa_data['inputs'][:num],
                    data_samples=self.lodaa_data['data_samples'][:num]), False)
            return [
                len(r.pred_instances) for r in model(**data, mode='predict')
            ]
