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


def _video_demo(args, cwd):
    import subprocess

    from lodaa_testing import python_env
    return subprocess.run(
        [PYTHON, tool_path('video_demo.py')] + [str(a) for a in args],
        cwd=str(cwd),
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=300)


@pytest.fixture(scope='module')
def random_checkpoint(tmp_path_factory) -> str:
    """fcos_voc_224 with random weights: the tool runs, boxes or not."""
    import torch

    from lodaa_plugin.utils.builders import build_model_without_weights
    from lodaa_plugin.utils.config_loading import read_config
    cfg = read_config(
        config_path('fcos_voc_224.py'), {'model.backbone.init_cfg': None})
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('random') / 'random.pth'
    from mmdet.datasets import VOCDataset
    torch.save(
        dict(
            state_dict=build_model_without_weights(cfg)[0].state_dict(),
            meta=dict(
                dataset_meta=dict(classes=VOCDataset.METAINFO['classes']))),
        path)
    return str(path)


def test_an_output_that_is_the_input_is_refused(clip, tmp_path):
    """By its path, another spelling of it, or a link to it: the input video
    (and the config, the checkpoint) is never written over."""
    import shutil
    source = tmp_path / 'clip.mp4'
    shutil.copy(clip, source)
    link = tmp_path / 'link.mp4'
    link.symlink_to(source)
    before = source.read_bytes()
    config = config_path('fcos_voc_224.py')
    for out in (source, f'{tmp_path}/./clip.mp4', link, 'clip.mp4', config):
        result = _video_demo([source, config, 'ckpt.pth', '--out', out],
                             tmp_path)
        assert result.returncode == 2, result.stderr[-2000:]
        assert 'would destroy the input' in result.stderr
    assert source.read_bytes() == before


def test_frames_over_the_pixel_limit_are_refused_from_the_header(
        clip, tmp_path):
    from lodaa_plugin.video_header import video_header_size
    assert video_header_size(clip) == SIZE
    result = _video_demo([
        clip,
        config_path('fcos_voc_224.py'), 'ckpt.pth', '--out',
        tmp_path / 'o.mp4', '--max-pixels', '10000'
    ], tmp_path)
    assert result.returncode != 0
    assert f'{clip}: frames of 320 x 240 pixels, more than --max-pixels ' \
        '10,000' in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.parametrize('ext,fourcc', [('mp4', 'mp4v'), ('avi', 'XVID'),
                                        ('avi', 'MJPG')])
def test_the_header_gives_the_frame_size(tmp_path, ext, fourcc):
    from lodaa_plugin.video_header import video_header_size
    path = str(tmp_path / f'v.{ext}')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 5,
                             (640, 96))
    for _ in range(2):
        writer.write(np.zeros((96, 640, 3), np.uint8))
    writer.release()
    assert video_header_size(path) == (640, 96)
    (tmp_path / 'noise.mp4').write_bytes(b'\0\0\0\x10ftypisom' + b'\0' * 8)
    assert video_header_size(str(tmp_path / 'noise.mp4')) is None


def test_a_missing_output_folder_is_made_and_a_failed_write_is_named(
        clip, random_checkpoint, tmp_path):
    out = tmp_path / 'new' / 'folder' / 'out.mp4'
    result = _video_demo([
        clip,
        config_path('fcos_voc_224.py'), random_checkpoint, '--out', out,
        '--max-frames', '2', '--batch-size', '2'
    ], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'created the folder {out.parent}' in result.stdout
    assert len(_frames(str(out))) == 2
    # a file OpenCV cannot write: said so, no rename error, nothing left
    bad = tmp_path / 'out.xyz'
    result = _video_demo([
        clip,
        config_path('fcos_voc_224.py'), random_checkpoint, '--out', bad,
        '--max-frames', '2', '--batch-size', '2'
    ], tmp_path)
    assert result.returncode != 0
    assert f'{bad}: OpenCV cannot write it (name an .mp4 or .avi file)' in \
        result.stderr, result.stderr[-3000:]
    assert 'FileNotFoundError' not in result.stderr
    assert not list(tmp_path.glob('out.xyz*'))
