# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""ByteTrack identities (lodaa_plugin.apis.tracking) and video_demo.py
--track: two objects that cross keep their ids, and the MOTChallenge file
is valid."""
import importlib.util
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from lodaa_testing import REPO_ROOT

pytest.importorskip('lap')

FRAMES, SIZE = 24, (200, 160)  # width, height


def _boxes(frame: int) -> np.ndarray:
    """Two squares moving towards each other; they cross at frame 12."""
    return np.array([[10 + 6 * frame, 40, 40 + 6 * frame, 70],
                     [160 - 6 * frame, 60, 190 - 6 * frame, 90]], np.float32)


def _check_mot(lines, frames):
    """Each line is frame,id,x,y,w,h,score,-1,-1,-1; returns the ids of
    each frame, by row."""
    ids = {}
    for line in lines:
        fields = line.strip().split(',')
        assert len(fields) == 10, line
        frame, track = int(fields[0]), int(fields[1])
        x, y, w, h, score = map(float, fields[2:7])
        assert 1 <= frame <= frames and track >= 1
        assert w > 0 and h > 0 and 0 < score <= 1
        assert fields[7:] == ['-1', '-1', '-1']
        ids.setdefault(frame, []).append((x, track))
    return ids


def test_two_crossing_objects_keep_their_ids():
    from lodaa_plugin.apis.tracking import FrameTracker, mot_lines
    tracker = FrameTracker()
    lines = []
    for frame in range(FRAMES):
        tracked = tracker(
            dict(
                bboxes=_boxes(frame),
                scores=np.array([0.9, 0.8], np.float32),
                labels=np.array([0, 1])))
        lines += mot_lines(frame + 1, tracked)
    ids = _check_mot(lines, FRAMES)
    assert len(ids) == FRAMES
    # the first object (starting left) has one id all along, the other
    # another
    first = {
        track
        for frame, rows in ids.items()
        for x, track in rows if abs(x - (10 + 6 * (frame - 1))) < 1
    }
    second = {
        track
        for frame, rows in ids.items()
        for x, track in rows if abs(x - (160 - 6 * (frame - 1))) < 1
    }
    assert len(first) == 1 and len(second) == 1 and first != second


def _load_video_demo():
    spec = importlib.util.spec_from_file_location(
        'video_demo_under_test', osp.join(REPO_ROOT, 'tools', 'video_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_video_demo_track_writes_a_mot_file_with_stable_ids(
        tmp_path, monkeypatch):
    clip = str(tmp_path / 'two.avi')
    writer = cv2.VideoWriter(clip, cv2.VideoWriter_fourcc(*'MJPG'), 10, SIZE)
    for frame in range(FRAMES):
        image = np.full((SIZE[1], SIZE[0], 3), 90, np.uint8)
        for (x1, y1, x2, y2), colour in zip(
                _boxes(frame).astype(int), ((0, 0, 255), (255, 0, 0))):
            image[y1:y2, x1:x2] = colour
        writer.write(image)
    writer.release()

    def detect(frames):
        # a stand-in detector: the red and the blue square, found by colour
        out = []
        for image in frames:
            boxes, labels = [], []
            for label, channel in ((0, 2), (1, 0)):
                ys, xs = np.nonzero(image[..., channel] > 200)
                if len(xs):
                    boxes.append(
                        [xs.min(),
                         ys.min(),
                         xs.max() + 1,
                         ys.max() + 1])
                    labels.append(label)
            out.append(
                dict(
                    bboxes=np.asarray(boxes, np.float32).reshape(-1, 4),
                    scores=np.full(len(boxes), 0.9, np.float32),
                    labels=np.asarray(labels, np.int64)))
        return out

    demo = _load_video_demo()
    monkeypatch.setattr(demo, 'build_predictor', lambda args:
                        (detect, ('red', 'blue')))
    out = tmp_path / 'tracked.avi'
    monkeypatch.setattr(sys, 'argv', [
        'video_demo.py', clip, 'unused.py', 'unused.pth', '--track', '--out',
        str(out)
    ])
    demo.main()
    assert out.is_file()
    mot = tmp_path / 'tracked.txt'
    ids = _check_mot(mot.read_text().splitlines(), FRAMES)
    assert len(ids) == FRAMES
    assert {len(rows) for rows in ids.values()} == {2}
    # two ids, each always on the same square (the left one first)
    by_frame = [
        tuple(t for _, t in sorted(rows)) for _, rows in sorted(ids.items())
    ]
    assert len({t for row in by_frame for t in row}) == 2
    assert by_frame[0] == by_frame[5]  # before they cross
    assert by_frame[-1] == by_frame[0][::-1]  # after: swapped sides
