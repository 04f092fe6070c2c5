# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Multi-label linear head that honours VOC's ``difficult`` labels."""
from typing import List, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import MultiLabelLinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

DIFFICULT_TREATMENTS = ('ignore', 'negative', 'positive')


@MODELS.register_module()
class DifficultAwareMultiLabelHead(MultiLabelLinearClsHead):
    """A linear multi-label head trained with binary cross-entropy, where a
    class present in an image only as ``difficult`` objects is

    - ``'ignore'`` (default, the VOC protocol): masked out of the loss,
      neither positive nor negative;
    - ``'negative'``: a negative (mmpretrain's default behaviour);
    - ``'positive'``: a positive.

    The loss is summed over classes and averaged over images, as mmpretrain's
    sigmoid cross-entropy.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature size.
        difficult (str): One of ``'ignore'``, ``'negative'``, ``'positive'``.
            Defaults to ``'ignore'``.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        **kwargs: Everything :class:`MultiLabelLinearClsHead` accepts
            (``thr``, ``topk``, ``init_cfg``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 difficult: str = 'ignore',
                 loss_weight: float = 1.0,
                 **kwargs) -> None:
        if difficult not in DIFFICULT_TREATMENTS:
            raise ValueError(f'difficult must be one of '
                             f'{DIFFICULT_TREATMENTS}, got {difficult!r}')
        kwargs.pop('loss', None)
        super().__init__(num_classes, in_channels, **kwargs)
        self.difficult = difficult
        self.loss_weight = loss_weight

    def targets(self, data_samples: List[DataSample],
                device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
        """Build the targets and loss weights of a batch.

        Args:
            data_samples (list[DataSample]): With ``gt_label`` (or
                ``gt_score``) and, in the metainfo, ``gt_label_difficult``.
            device (torch.device): Where the tensors go.

        Returns:
            tuple[Tensor, Tensor]: (N, C) 0/1 targets and (N, C) weights.
        """
        n, c = len(data_samples), self.num_classes
        target = torch.zeros(n, c, device=device)
        weight = torch.ones(n, c, device=device)
        for i, sample in enumerate(data_samples):
            if 'gt_score' in sample:
                target[i] = (sample.gt_score > 0).float().to(device)
            else:
                target[i, sample.gt_label.to(device)] = 1.
            difficult = sample.metainfo.get('gt_label_difficult', [])
            if len(difficult) and self.difficult != 'negative':
                index = torch.as_tensor(
                    difficult, dtype=torch.long, device=device)
                if self.difficult == 'ignore':
                    weight[i, index] = 0.
                else:
                    target[i, index] = 1.
        return target, weight

    def _get_loss(self, cls_score: torch.Tensor,
                  data_samples: List[DataSample], **kwargs) -> dict:
        target, weight = self.targets(data_samples, cls_score.device)
        loss = F.binary_cross_entropy_with_logits(
            cls_score, target, weight=weight, reduction='sum')
        return dict(loss=self.loss_weight * loss / cls_score.size(0))
