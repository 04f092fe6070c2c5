# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""tools/video_demo.py on a video the test writes: every frame comes out,
at the source's size, with PyTorch and with a deployed backend."""
import os.path as osp
import re

import cv2
import numpy as np
import pytest

from lodaa_testing import PYTHON, VOC07_ROOT, config_path, tool_path
from lodaa_testing.tools import run_tool

FRAMES, SIZE = 30, (320, 240)  # width, height


@pytest.fixture(scope='module')
def clip(tmp_path_factory) -> str:
    """A 30-frame video: a VOC photo panning slowly."""
    photo = cv2.imread(
        osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '000005.jpg'))
    path = str(tmp_path_factory.mktemp('video') / 'clip.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10, SIZE)
    for i in range(FRAMES):
        writer.write(
            np.ascontiguousarray(photo[i * 2:i * 2 + SIZE[1],
                                       i * 3:i * 3 + SIZE[0]]))
    writer.release()
    return path


def _frames(path: str):
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


@pytest.mark.slow
@pytest.mark.parametrize('backend', ['pytorch', 'onnxruntime'])
def test_every_frame_comes_out_annotated(clip, backend, trained_fcos, exported,
                                         tmp_path):
    work_dir, _ = trained_fcos
    checkpoint = osp.join(work_dir, 'iter_100.pth') if backend == 'pytorch' \
        else exported[0]
    out = tmp_path / 'out.mp4'
    log = run_tool([
        PYTHON,
        tool_path('video_demo.py'), clip,
        config_path('fcos_voc_224.py'), checkpoint, '--backend', backend,
        '--out',
        str(out), '--score-thr', '0.05', '--batch-size', '4'
    ],
                   cwd=str(tmp_path))
    frames = _frames(str(out))
    assert len(frames) == FRAMES
    assert frames[0].shape == (SIZE[1], SIZE[0], 3)
    assert re.search(rf'{FRAMES} frames, [\d.]+ frames/s end to end', log)
    assert not list(tmp_path.glob('*.partial*'))  # renamed when complete
    # boxes were drawn: the output differs from the input frames
    source = _frames(clip)
    assert np.abs(frames[0].astype(int) - source[0]).mean() > 0.5


@pytest.mark.slow
def test_an_odd_sized_video_keeps_its_size(trained_fcos, tmp_path):
    # 321x241: FFmpeg's encoders would write 320x240
    size = (321, 241)
    photo = cv2.imread(
        osp.join(VOC07_ROOT, 'VOC2007', 'JPEGImages', '000005.jpg'))
    clip = str(tmp_path / 'odd.avi')
    writer = cv2.VideoWriter(clip, cv2.CAP_OPENCV_MJPEG,
                             cv2.VideoWriter_fourcc(*'MJPG'), 10, size)
    for _ in range(3):
        writer.write(np.ascontiguousarray(photo[:size[1], :size[0]]))
    writer.release()
    assert _frames(clip)[0].shape == (241, 321, 3)
    command = [
        PYTHON,
        tool_path('video_demo.py'), clip,
        config_path('fcos_voc_224.py'),
        osp.join(trained_fcos[0], 'iter_100.pth'), '--out'
    ]
    run_tool(command + [str(tmp_path / 'out.avi')], cwd=str(tmp_path))
    frames = _frames(str(tmp_path / 'out.avi'))
    assert len(frames) == 3 and frames[0].shape == (241, 321, 3)
    # MPEG-4 cannot: refused before any frame is read, with the way out
    import subprocess

    from lodaa_testing import python_env
    result = subprocess.run(
        command + [str(tmp_path / 'out.mp4')],
        env=python_env(),
        capture_output=True,
        text=True)
    assert result.returncode != 0
    assert '321x241' in result.stderr and 'name an .avi' in result.stderr


def test_a_missing_or_broken_video_is_named(tmp_path):
    import subprocess

    from lodaa_testing import python_env
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video at all')
    for source, message in ((str(tmp_path / 'none.mp4'), 'no such video file'),
                            (str(broken), 'cannot open it as a video')):
        result = subprocess.run([
            PYTHON,
            tool_path('video_demo.py'), source,
            config_path('fcos_voc_224.py'), 'ckpt.pth', '--out',
            str(tmp_path / 'o.mp4')
        ],
                                env=python_env(),
                                capture_output=True,
                                text=True,
                                timeout=300)
        assert result.returncode != 0
        assert source in result.stderr and message in result.stderr
