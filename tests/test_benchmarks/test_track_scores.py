# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The synthetic video's true tracks, and their scoring with trackeval:
perfect tracks score 1, swapped identities are counted."""
import pytest

from projects.benchmarks.track_scores import read_mot, track_scores
from projects.synthetic_video import make_synthetic_video

pytest.importorskip('trackeval')


@pytest.fixture
def clip(tmp_path):
    gt = tmp_path / 'gt.txt'
    make_synthetic_video(
        str(tmp_path / 'clip.avi'), str(gt), frames=20, objects=3, seed=2)
    return gt


def test_the_true_tracks_lie_in_the_frame(clip):
    rows = read_mot(str(clip))
    assert len(rows) == 20
    for boxes in rows.values():
        ids = [b[0] for b in boxes]
        assert len(ids) == len(set(ids)) and set(ids) <= {1, 2, 3}
        for _, x1, y1, x2, y2 in boxes:
            assert 0 <= x1 < x2 <= 256 and 0 <= y1 < y2 <= 256


def test_perfect_tracks_score_one_and_swaps_are_counted(clip, tmp_path):
    scores = track_scores(str(clip), str(clip))
    assert (scores['HOTA'], scores['MOTA'], scores['IDF1'],
            scores['IDSW']) == (1.0, 1.0, 1.0, 0)
    # tracks 1 and 2 swap their ids from frame 11 on
    swapped = tmp_path / 'swapped.txt'
    lines = []
    for line in clip.read_text().splitlines():
        fields = line.split(',')
        if int(fields[0]) > 10 and fields[1] in ('1', '2'):
            fields[1] = '2' if fields[1] == '1' else '1'
        lines.append(','.join(fields))
    swapped.write_text('\n'.join(lines) + '\n')
    scores = track_scores(str(clip), str(swapped))
    assert scores['IDSW'] == 2 and scores['IDF1'] < 1.0
    assert scores['MOTA'] < 1.0
