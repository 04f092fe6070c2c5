# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Detect objects in a video file or a camera's stream and write the
annotated video.

    python tools/video_demo.py clip.mp4 configs/fcos_voc_224.py CKPT \\
        --out out.mp4
    python tools/video_demo.py clip.mp4 configs/fcos_voc_224.py \\
        work_dirs/fcos_224_deploy --backend openvino --precision int8 \\
        --out out.mp4
    python tools/video_demo.py 0 configs/fcos_voc_224.py CKPT --show
    python tools/video_demo.py clip.mp4 configs/fcos_voc_224.py CKPT \\
        --track --out out.mp4     # identities; out.txt in MOTChallenge form

Frames are read and written with OpenCV, detected in batches of
``--batch-size`` (PyTorch, or an export on ONNX Runtime / OpenVINO), drawn
with their class and score, and written at the source's frame rate. The
video is written to ``OUT.partial`` and renamed when complete; Ctrl-C stops
reading and keeps the frames done so far (closed properly) under ``OUT``,
an error removes them. An ``OUT`` that is the input is refused, a missing
folder for it is made, and frames over ``--max-pixels`` are refused from the
container's header before anything is decoded.
"""
import argparse
import os
import os.path as osp
import time

import cv2
import numpy as np
from tqdm import tqdm

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.compat.registry_hints import enable_registry_hints
from lodaa_plugin.image_bytes import DEFAULT_MAX_PIXELS
from lodaa_plugin.utils.cli_args import (add_deploy_args, add_slice_args,
                                         add_unsafe_load_arg, fraction,
                                         positive_float, positive_int,
                                         prepare_output_file)
from lodaa_plugin.video_header import video_header_size


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Detect objects in a video or a camera stream')
    parser.add_argument(
        'video', help='a video file, or a camera index such as 0')
    parser.add_argument('config')
    parser.add_argument(
        'checkpoint', help='checkpoint, or with --backend the export folder')
    add_deploy_args(parser)
    add_slice_args(parser)
    parser.add_argument(
        '--out', help='the annotated video to write (.mp4, .avi)')
    parser.add_argument(
        '--show', action='store_true', help='also show it in a window')
    parser.add_argument(
        '--track',
        action='store_true',
        help="identities across frames (mmdet's ByteTrack), drawn with the "
        'class, and with --out written beside the video as MOTChallenge '
        'text (OUT without its extension + .txt)')
    parser.add_argument(
        '--track-thr',
        type=fraction,
        default=0.6,
        help="with --track: ByteTrack's first-match score (a new track "
        'needs 0.1 more); lower it for a detector whose scores run lower')
    parser.add_argument('--score-thr', type=fraction, default=0.3)
    parser.add_argument('--batch-size', type=positive_int, default=4)
    parser.add_argument(
        '--max-frames', type=positive_int, help='stop after this many frames')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--camera-fps',
        type=positive_float,
        default=25.0,
        help='frame rate written for a camera (files keep their own)')
    parser.add_argument(
        '--max-pixels',
        type=positive_int,
        default=DEFAULT_MAX_PIXELS,
        help='largest frame (width x height) decoded, read from the '
        f'header first (default {DEFAULT_MAX_PIXELS:,}, as for images)')
    add_unsafe_load_arg(parser)
    args = parser.parse_args()
    if not args.out and not args.show:
        parser.error('nothing to do: give --out FILE and/or --show')
    prepare_output_file(parser, args.out,
                        [args.video, args.config, args.checkpoint])
    return args


def open_source(source: str,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> cv2.VideoCapture:
    """Open a video file or a camera index, its frame size held to
    ``max_pixels``: from the container's header before OpenCV opens it
    (MP4, MOV, AVI), and from OpenCV's report before any frame is read.

    Args:
        source (str): A file, or digits for a camera.
        max_pixels (int): Largest width x height. Defaults to the images'
            limit.

    Returns:
        cv2.VideoCapture: The opened stream.

    Raises:
        FileNotFoundError: A file that does not exist.
        ValueError: A stream OpenCV cannot open or decode, or frames over
            ``max_pixels``.
    """
    if source.isdigit():
        capture = cv2.VideoCapture(int(source))
        what = f'camera {source}'
    else:
        if not osp.isfile(source):
            raise FileNotFoundError(f'{source}: no such video file')
        _check_pixels(source, video_header_size(source), max_pixels)
        capture = cv2.VideoCapture(source)
        what = source
    if not capture.isOpened():
        raise ValueError(f'{what}: OpenCV cannot open it as a video')
    try:
        _check_pixels(what, (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                             int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))),
                      max_pixels)
    except ValueError:
        capture.release()
        raise
    return capture


def _check_pixels(what: str, size, max_pixels: int) -> None:
    if size is not None and size[0] * size[1] > max_pixels:
        raise ValueError(
            f'{what}: frames of {size[0]} x {size[1]} pixels, more than '
            f'--max-pixels {max_pixels:,} (raise it to allow them)')


def build_predictor(args: argparse.Namespace):
    """A callable from BGR frames to detections, and the class names."""
    if args.backend == 'pytorch':
        from lodaa_plugin.apis import init_detector_strict, predict_images
        model = init_detector_strict(args.config, args.checkpoint, args.device)
        predict, classes = (lambda frames: predict_images(
            model, frames, len(frames))), model.dataset_meta['classes']
        test_cfg = model.test_cfg
    else:
        from lodaa_plugin.deployment import DeployedDetector
        predict = DeployedDetector(args.checkpoint, args.backend,
                                   args.precision, args.graph)
        classes, test_cfg = predict.classes, predict.cfg['test_cfg']
    if args.slice:
        from lodaa_plugin.slicing import SlicedPredictor
        predict = SlicedPredictor.from_args(predict, None, test_cfg, args)
    return predict, classes


def open_writer(path: str, fps: float, size: tuple) -> cv2.VideoWriter:
    """A writer that keeps the frames' size: MPEG-4 in .mp4, XviD in .avi,
    and OpenCV's own Motion JPEG in .avi for odd sizes (FFmpeg's encoders
    round them down to even)."""
    odd = size[0] % 2 or size[1] % 2
    if path.endswith('.avi') and odd:
        return cv2.VideoWriter(path, cv2.CAP_OPENCV_MJPEG,
                               cv2.VideoWriter_fourcc(*'MJPG'), fps, size)
    fourcc = 'XVID' if path.endswith('.avi') else 'mp4v'
    return cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, size)


def draw(frame: np.ndarray, result: dict, classes, score_thr: float):
    """The frame (BGR) with its detections (and track ids) drawn."""
    from lodaa_plugin.visualization import draw_detections
    drawn = draw_detections(
        frame[..., ::-1],
        classes,
        result['bboxes'],
        result['labels'],
        result['scores'],
        score_thr,
        ids=result.get('ids'))
    return np.ascontiguousarray(np.asarray(drawn)[..., ::-1])


def main() -> None:
    args = parse_args()
    enable_compat()
    enable_registry_hints()
    try:
        capture = open_source(args.video, args.max_pixels)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(str(error)) from None
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    if args.out and not args.out.endswith('.avi') and (size[0] % 2
                                                       or size[1] % 2):
        raise SystemExit(
            f'{args.out}: OpenCV writes MPEG-4 in even sizes only, and '
            f'{args.video} is {size[0]}x{size[1]} (it would lose a row or '
            'column); name an .avi output, which keeps the size exactly')
    predict, classes = build_predictor(args)
    fps = capture.get(cv2.CAP_PROP_FPS)
    if args.video.isdigit() or not fps or fps != fps:
        fps = args.camera_fps
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    if args.max_frames:
        total = min(total or args.max_frames, args.max_frames)
    writer, partial = None, None
    tracker, mot = None, None
    if args.track:
        from lodaa_plugin.apis.tracking import FrameTracker, mot_lines
        tracker = FrameTracker(high=args.track_thr)
        if args.out:
            mot_path = osp.splitext(args.out)[0] + '.txt'
            mot = open(mot_path + '.partial', 'w')
    done, started, seconds = 0, time.perf_counter(), 0.0
    bar = tqdm(total=total, desc='frames', unit='frame')
    try:
        while True:
            frames = []
            while len(frames) < args.batch_size and (not args.max_frames
                                                     or done + len(frames)
                                                     < args.max_frames):
                ok, frame = capture.read()
                if not ok:
                    break
                frames.append(frame)
            if not frames:
                break
            tick = time.perf_counter()
            results = predict(frames)
            seconds += time.perf_counter() - tick
            for number, (frame,
                         result) in enumerate(zip(frames, results), done + 1):
                if tracker is not None:
                    result = tracker(result)
                    if mot is not None:
                        mot.writelines(line + '\n'
                                       for line in mot_lines(number, result))
                out = draw(frame, result, classes, args.score_thr)
                if args.out and writer is None:
                    partial = args.out + '.partial' + osp.splitext(args.out)[1]
                    writer = open_writer(partial, fps,
                                         (out.shape[1], out.shape[0]))
                    if not writer.isOpened():
                        writer = None
                        raise SystemExit(
                            f'{args.out}: OpenCV cannot write it ' +
                            ('(name an .mp4 or .avi file)' if osp.splitext(
                                args.out)[1].lower() not in ('.mp4', '.avi')
                             else f'(is {osp.dirname(osp.abspath(partial))} '
                             'writable?)'))
                if writer is not None:
                    writer.write(out)
                if args.show:
                    cv2.imshow('LODAA', out)
                    cv2.waitKey(1)
            done += len(frames)
            bar.update(len(frames))
    except KeyboardInterrupt:
        print(f'\nstopped by Ctrl-C after {done} frames')
    except BaseException:
        # an error: the frames written so far are not the video asked for,
        # and the error is not hidden by a rename
        if writer is not None:
            writer.release()
            writer = None
            if osp.exists(partial):
                os.remove(partial)
        raise
    finally:
        bar.close()
        capture.release()
        if writer is not None:
            writer.release()
            os.replace(partial, args.out)
        if mot is not None:
            mot.close()
            os.replace(mot.name, mot_path)
        if args.show:
            cv2.destroyAllWindows()
    if not done:
        raise SystemExit(f'{args.video}: no frame could be read')
    wall = time.perf_counter() - started
    print(f'{done} frames, {done / wall:.1f} frames/s end to end '
          f'({done / seconds:.1f} frames/s detection alone, '
          f'{args.backend}, batch {args.batch_size})' +
          (f'; written to {args.out}' if args.out else '') +
          (f', tracks in {mot_path}' if mot is not None else ''))


if __name__ == '__main__':
    main()
