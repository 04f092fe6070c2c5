# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Pooled features and multi-hot labels of dataset images, for t-SNE."""
from typing import List, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from tqdm import tqdm


def _pooled(feat: torch.Tensor) -> torch.Tensor:
    return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat.flatten(1)


def _multi_hot(sample, num_classes: int) -> np.ndarray:
    hot = np.zeros(num_classes, np.float32)
    if 'gt_instances' in sample:  # detection
        hot[sample.gt_instances.labels.cpu().numpy()] = 1
    elif 'gt_score' in sample:
        hot[:] = (sample.gt_score.cpu().numpy() > 0)
    else:
        hot[sample.gt_label.cpu().numpy()] = 1
    return hot


def extract_features(
        model: torch.nn.Module,
        dataset,
        indices: Sequence[int],
        batch_size: int = 16,
        stage: str = 'neck',
        progress: bool = True) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """Run a model over dataset images and pool its last features.

    Detectors give their backbone's last stage, classifiers
    ``extract_feat(stage=stage)``; maps are averaged over space.

    Args:
        model (torch.nn.Module): A detector or classifier in eval mode.
        dataset: Its test dataset (pipeline included).
        indices (Sequence[int]): Which images.
        batch_size (int): Images per forward pass. Defaults to 16.
        stage (str): Classifier stage, ``'backbone'`` or ``'neck'``.
            Defaults to ``'neck'``.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        tuple: (N, D) features, (N, C) multi-hot labels and the N image
        paths.
    """
    num_classes = len(dataset.metainfo['classes'])
    is_detector = hasattr(model, 'bbox_head')
    feats, labels, paths = [], [], []
    with torch.no_grad():
        for start in tqdm(
                range(0, len(indices), batch_size),
                desc='extracting features',
                unit='batch',
                disable=not progress):
            batch = pseudo_collate(
                [dataset[i] for i in indices[start:start + batch_size]])
            data = model.data_preprocessor(batch, False)
            if is_detector:
                out = model.backbone(data['inputs'])
            else:
                out = model.extract_feat(data['inputs'], stage=stage)
            feats.append(_pooled(out[-1]).cpu().numpy())
            for sample in data['data_samples']:
                labels.append(_multi_hot(sample, num_classes))
                paths.append(sample.img_path)
    return np.concatenate(feats), np.stack(labels), paths
