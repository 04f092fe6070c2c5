# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Small tensor helpers shared by LODAA's heads and assigners."""
from typing import Sequence, Tuple

import torch
from torch import Tensor


def pad_boxes(boxes: Sequence[Tensor],
              labels: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    """Stack per-image boxes into (B, G, 4), padding to the largest count.

    Args:
        boxes (Sequence[Tensor]): Per image, (n_i, 4) boxes.
        labels (Sequence[Tensor]): Per image, (n_i, ) labels.

    Returns:
        tuple[Tensor, Tensor, Tensor]: Boxes (B, G, 4), labels (B, G) and
        a (B, G) mask of the real (not padded) entries; G >= 1.
    """
    num = max(1, max((len(b) for b in boxes), default=0))
    ref = boxes[0]
    padded = ref.new_zeros(len(boxes), num, 4)
    padded_labels = labels[0].new_zeros(len(boxes), num)
    valid = torch.zeros(len(boxes), num, dtype=torch.bool, device=ref.device)
    for i, (b, lab) in enumerate(zip(boxes, labels)):
        padded[i, :len(b)] = b
        padded_labels[i, :len(b)] = lab
        valid[i, :len(b)] = True
    return padded, padded_labels, valid
