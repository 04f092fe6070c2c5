# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Per-image detections from the padded outputs of the batched
post-processing (``num_dets``, ``boxes``, ``scores``, ``labels``). Imports
nothing, so the head (tensors) and the deployment runtime (numpy arrays, no
torch) share it."""
from typing import Any, Dict, List


def split_detections(num_dets: Any, boxes: Any, scores: Any,
                     labels: Any) -> List[Dict[str, Any]]:
    """Cut each image's rows past its ``num_dets``.

    Args:
        num_dets (Tensor | np.ndarray): (N,) detections per image.
        boxes (Tensor | np.ndarray): (N, K, 4).
        scores (Tensor | np.ndarray): (N, K).
        labels (Tensor | np.ndarray): (N, K).

    Returns:
        list[dict]: Per image ``bboxes``, ``scores`` and ``labels``, of the
        inputs' kind.
    """
    return [
        dict(bboxes=boxes[i, :n], scores=scores[i, :n], labels=labels[i, :n])
        for i, n in enumerate(int(n) for n in num_dets.reshape(-1).tolist())
    ]
