# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""HOTA, MOTA, IDF1 and identity switches of tracks against true tracks,
both in MOTChallenge text, with ``trackeval`` (the MOTChallenge's own
metric code, packaged; boxes matched on IoU)."""
from typing import Dict, List

import numpy as np


def read_mot(path: str) -> Dict[int, List[tuple]]:
    """Rows of a MOTChallenge file by frame.

    Args:
        path (str): ``frame,id,x,y,w,h,...`` lines.

    Returns:
        dict: frame -> list of (id, x1, y1, x2, y2).
    """
    rows: Dict[int, List[tuple]] = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.split(',')
            if len(fields) < 6:
                raise ValueError(f'{path}:{number}: not a MOTChallenge line '
                                 '(frame,id,x,y,w,h,...)')
            frame, track = int(float(fields[0])), int(float(fields[1]))
            x, y, w, h = map(float, fields[2:6])
            rows.setdefault(frame, []).append((track, x, y, x + w, y + h))
    return rows


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None] - inter, 1e-9)


def track_scores(gt_file: str, tracks_file: str) -> Dict[str, float]:
    """Score tracks.

    Args:
        gt_file (str): True tracks.
        tracks_file (str): Predicted tracks (``video_demo.py --track``).

    Returns:
        dict: ``HOTA``, ``MOTA``, ``IDF1``, ``IDSW``, ``frames``, ``gt_ids``
        and ``tracker_ids``.
    """
    from trackeval.metrics import CLEAR, HOTA, Identity
    gt, pred = read_mot(gt_file), read_mot(tracks_file)
    frames = max(list(gt) + list(pred))
    gt_index = {
        i: k
        for k, i in enumerate(
            sorted({r[0]
                    for rows in gt.values()
                    for r in rows}))
    }
    pred_index = {
        i: k
        for k, i in enumerate(
            sorted({r[0]
                    for rows in pred.values()
                    for r in rows}))
    }
    data = dict(
        num_timesteps=frames,
        num_gt_ids=len(gt_index),
        num_tracker_ids=len(pred_index),
        gt_ids=[],
        tracker_ids=[],
        similarity_scores=[])
    for frame in range(1, frames + 1):
        g, p = gt.get(frame, []), pred.get(frame, [])
        data['gt_ids'].append(np.array([gt_index[r[0]] for r in g], int))
        data['tracker_ids'].append(
            np.array([pred_index[r[0]] for r in p], int))
        data['similarity_scores'].append(
            _iou(
                np.array([r[1:] for r in g]).reshape(-1, 4),
                np.array([r[1:] for r in p]).reshape(-1, 4)))
    data['num_gt_dets'] = sum(len(i) for i in data['gt_ids'])
    data['num_tracker_dets'] = sum(len(i) for i in data['tracker_ids'])
    hota = HOTA().eval_sequence(data)
    clear = CLEAR(dict(PRINT_CONFIG=False)).eval_sequence(data)
    identity = Identity(dict(PRINT_CONFIG=False)).eval_sequence(data)
    return dict(
        HOTA=float(np.mean(hota['HOTA'])),
        MOTA=float(clear['MOTA']),
        IDF1=float(identity['IDF1']),
        IDSW=int(clear['IDSW']),
        frames=frames,
        gt_ids=len(gt_index),
        tracker_ids=len(pred_index))
