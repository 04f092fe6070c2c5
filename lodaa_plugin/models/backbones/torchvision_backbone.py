# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A torchvision classification network as an mmdet / mmpretrain backbone."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torchvision
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

# Modules that only the ImageNet classifier uses; they are dropped so that
# their checkpoint keys are the only ones left unused.
_CLASSIFIER_MODULES = ('avgpool', 'fc', 'classifier', 'head', 'heads')


def default_layout(name: str, model: nn.Module) -> Tuple[List[str], List[str]]:
    """Return the execution order and stage taps of well-known torchvision
    families.

    Args:
        name (str): torchvision model name.
        model (nn.Module): The built torchvision model.

    Returns:
        tuple[list[str], list[str]]: The module paths run in order, and the
        paths of the four stages whose outputs ``out_indices`` select.
    """
    if name.startswith('regnet'):
        stages = [f'trunk_output.block{i}' for i in range(1, 5)]
        return ['stem'] + stages, stages
    if hasattr(model, 'layer4'):  # resnet, resnext, wide_resnet
        stages = [f'layer{i}' for i in range(1, 5)]
        return ['conv1', 'bn1', 'relu', 'maxpool'] + stages, stages
    raise ValueError(
        f'No default stages for torchvision model {name!r}: pass `stages` '
        "with the module paths to tap, e.g. stages=('features.3', "
        "'features.6', 'features.12') for a network with a `features` "
        'Sequential.')


@MMDET_MODELS.register_module()
@MMPRETRAIN_MODELS.register_module()
class TorchvisionBackbone(BaseModule):
    """Feature maps of a torchvision ImageNet classifier.

    The wrapped network keeps torchvision's module names, so its parameter
    names equal torchvision's and ``init_cfg=dict(type='Pretrained',
    checkpoint='torchvision://regnet_x_400mf.imagenet1k_v1')`` (or a local
    ``.pth`` of torchvision's state dict) loads with only the classifier's
    keys unused. For ``regnet_x_400mf`` the stages are
    ``trunk_output.block1..4`` with 32/64/160/400 channels at strides
    4/8/16/32.

    Args:
        model_name (str): torchvision model name, e.g. ``'regnet_x_400mf'``,
            ``'resnet18'``, ``'resnet50'``, ``'regnet_y_800mf'``. Defaults to
            ``'regnet_x_400mf'``.
        stages (Sequence[str], optional): Module paths whose outputs are the
            stages, in execution order. Defaults to the four stages of the
            regnet and resnet families; required for other networks, whose
            top-level ``features`` Sequential is then run child by child.
        out_indices (Sequence[int]): Indices into ``stages`` of the returned
            feature maps. Defaults to (1, 2, 3): strides 8/16/32.
        frozen_stages (int): Stages to freeze (no gradient, eval mode), the
            stem included; -1 freezes nothing, 0 only the stem. Defaults to
            ``-1``.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training, so
            ImageNet statistics survive small detection batches. Defaults to
            True.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 model_name: str = 'regnet_x_400mf',
                 stages: Optional[Sequence[str]] = None,
                 out_indices: Sequence[int] = (1, 2, 3),
                 frozen_stages: int = -1,
                 norm_eval: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if model_name not in torchvision.models.list_models(
                torchvision.models):
            raise ValueError(
                f'{model_name!r} is not a torchvision classification model; '
                'see torchvision.models.list_models(torchvision.models).')
        model = torchvision.models.get_model(model_name, weights=None)
        if stages is None:
            steps, stages = default_layout(model_name, model)
        else:
            stages = list(stages)
            steps = self._features_steps(model, stages)
        for index in out_indices:
            if not 0 <= index < len(stages):
                raise IndexError(f'out_indices has {index}; {model_name} has '
                                 f'{len(stages)} stages: {stages}')
        if frozen_stages > len(stages):
            raise ValueError(f'frozen_stages={frozen_stages} but there are '
                             f'only {len(stages)} stages')
        for child_name, child in model.named_children():
            if child_name not in _CLASSIFIER_MODULES:
                self.add_module(child_name, child)
        self.model_name = model_name
        self.steps = steps
        self.stages = stages
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self._freeze_stages()

    @staticmethod
    def _features_steps(model: nn.Module, stages: List[str]) -> List[str]:
        features = getattr(model, 'features', None)
        if not isinstance(features, nn.Sequential):
            raise ValueError(
                'Custom `stages` need a model whose `features` is an '
                f'nn.Sequential; {type(model).__name__} has none.')
        steps = [f'features.{i}' for i in range(len(features))]
        missing = [s for s in stages if s not in steps]
        if missing:
            raise ValueError(f'stages {missing} are not children of '
                             f'`features`; choose among {steps}')
        return steps[:steps.index(stages[-1]) + 1]

    def _modules_before(self, stage_index: int) -> List[nn.Module]:
        """List every step up to and including stage ``stage_index`` (-1:
        stem)."""
        if stage_index < 0:
            last = self.steps.index(self.stages[0])
        else:
            last = self.steps.index(self.stages[stage_index]) + 1
        return [self.get_submodule(path) for path in self.steps[:last]]

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        for module in self._modules_before(self.frozen_stages - 1):
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the network up to the last requested stage.

        Args:
            x (Tensor): Images, (N, 3, H, W), normalised for ImageNet.

        Returns:
            tuple[Tensor]: The feature maps of ``out_indices``.
        """
        wanted: Dict[str, int] = {self.stages[i]: i for i in self.out_indices}
        outs: Dict[int, Tensor] = {}
        for path in self.steps:
            x = self.get_submodule(path)(x)
            if path in wanted:
                outs[wanted[path]] = x
                if len(outs) == len(wanted):
                    break
        return tuple(outs[i] for i in self.out_indices)

    def train(self, mode: bool = True) -> 'TorchvisionBackbone':
        """Switch modes, keeping frozen stages and BatchNorm in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    @torch.no_grad()
    def out_channels(self) -> List[int]:
        """Return the channels of each returned map (from a 64x64 dry run)."""
        was_training = self.training
        self.eval()
        param = next(self.parameters())
        feats = self(torch.zeros(1, 3, 64, 64, device=param.device))
        self.train(was_training)
        return [f.shape[1] for f in feats]
