# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Identities across video frames: mmdet's ByteTrack on any detector's
per-frame detections (PyTorch or an export's runtime), and the
MOTChallenge text it writes (``tools/video_demo.py --track``)."""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

#: mmdet's ByteTrack settings (its configs/bytetrack), a Kalman filter's motion
BYTE_TRACKER = dict(
    type='ByteTracker',
    motion=dict(type='KalmanFilter'),
    obj_score_thrs=dict(high=0.6, low=0.1),
    init_track_thr=0.7,
    weight_iou_with_det_scores=True,
    match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
    num_frames_retain=30)


class FrameTracker:
    """Give each frame's detections the identities of their tracks.

    Args:
        tracker (dict, optional): The tracker's config; mmdet's ByteTrack
            settings (:data:`BYTE_TRACKER`) by default. ByteTrack needs the
            ``lap`` package (the ``track`` extra).
        high (float, optional): ByteTrack's first-match score threshold
            (0.6 in :data:`BYTE_TRACKER`), a new track needing 0.1 more, as
            there: lower for a detector whose scores run lower.
    """

    def __init__(self,
                 tracker: Optional[dict] = None,
                 high: Optional[float] = None) -> None:
        import mmdet.models.task_modules.tracking  # noqa: F401 (KalmanFilter)
        import mmdet.models.trackers  # noqa: F401 (registers ByteTracker)
        cfg = dict(tracker or BYTE_TRACKER)
        if high is not None:
            cfg['obj_score_thrs'] = dict(cfg['obj_score_thrs'], high=high)
            cfg['init_track_thr'] = min(high + 0.1, 1.0)
        try:
            self.tracker = MODELS.build(cfg)
        except RuntimeError as error:
            if 'lap' in str(error):
                raise RuntimeError(
                    "ByteTrack needs the 'lap' package: pip install "
                    "'lodaa_plugin[track]' (or pip install lap)") from None
            raise
        self.frame = 0

    def __call__(self, result: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """Track the next frame.

        Args:
            result (dict): The frame's ``bboxes``, ``scores``, ``labels``.

        Returns:
            dict: The tracked detections' ``bboxes``, ``scores``,
            ``labels`` and ``ids`` (from 1, as MOTChallenge counts).
        """
        sample = DetDataSample(metainfo=dict(frame_id=self.frame))
        sample.pred_instances = InstanceData(
            bboxes=torch.as_tensor(result['bboxes'], dtype=torch.float32),
            scores=torch.as_tensor(result['scores'], dtype=torch.float32),
            labels=torch.as_tensor(result['labels'], dtype=torch.long))
        tracked = self.tracker.track(sample)
        self.frame += 1
        return dict(
            bboxes=tracked.bboxes.numpy().reshape(-1, 4),
            scores=tracked.scores.numpy(),
            labels=tracked.labels.numpy(),
            ids=tracked.instances_id.numpy() + 1)


def mot_lines(frame: int, tracked: Dict[str, np.ndarray]) -> List[str]:
    """One frame's tracks as MOTChallenge text lines,
    ``frame,id,x,y,w,h,score,-1,-1,-1``.

    Args:
        frame (int): The frame's number, from 1.
        tracked (dict): :class:`FrameTracker`'s output.

    Returns:
        list[str]: A line per track, without newlines.
    """
    return [
        f'{frame},{int(i)},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},'
        f'{s:.4f},-1,-1,-1'
        for (x1, y1, x2, y2), s, i in zip(tracked['bboxes'].tolist(
        ), tracked['scores'].tolist(), tracked['ids'].tolist())
    ]
