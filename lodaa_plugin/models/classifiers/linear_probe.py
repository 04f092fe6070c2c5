# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Linear probe: a frozen pretrained backbone and a trained linear head."""
from typing import List

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


@MODELS.register_module()
class LinearProbeClassifier(ImageClassifier):
    """An :class:`ImageClassifier` whose backbone and neck are frozen.

    Frozen means no gradients *and* eval mode forever: BatchNorm running
    statistics never change, even after ``model.train()``. Only the head's
    parameters train. Because the frozen part is a fixed function, its
    features can be computed once (:meth:`extract_feat` under no-grad) and
    reused: see :class:`CachedFeatureTrainLoop`.

    Args:
        **kwargs: Everything :class:`ImageClassifier` accepts.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for module in self.frozen_modules():
            for param in module.parameters():
                param.requires_grad = False
        self.train()

    def frozen_modules(self) -> List[torch.nn.Module]:
        """Return the backbone and, if any, the neck."""
        return [self.backbone] + ([self.neck] if self.with_neck else [])

    def train(self, mode: bool = True) -> 'LinearProbeClassifier':
        """Set the head's mode; the frozen part always stays in eval."""
        super().train(mode)
        for module in self.frozen_modules():
            module.eval()
        return self

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck'):
        """Compute frozen features without building a graph."""
        with torch.no_grad():
            return super().extract_feat(inputs, stage)

    def loss_on_features(self, feats: tuple,
                         data_samples: List[DataSample]) -> dict:
        """Compute head losses on precomputed features (the cached-feature
        path).

        Args:
            feats (tuple[Tensor]): What :meth:`extract_feat` returned.
            data_samples (list[DataSample]): Labels of the batch.

        Returns:
            dict: The head's losses.
        """
        return self.head.loss(feats, data_samples)

    def logits_on_features(self, feats: tuple) -> torch.Tensor:
        """Compute class logits from precomputed features."""
        return self.head(feats)

    def init_weights(self) -> None:
        """Initialise, then re-freeze (loading may touch requires_grad)."""
        super().init_weights()
        for module in self.frozen_modules():
            for param in module.parameters():
                param.requires_grad = False
