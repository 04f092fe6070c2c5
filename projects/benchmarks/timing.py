# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Timing helpers shared by LODAA's benchmark tools.

Comparisons are paired: the candidates take their steps in turn, with the
order alternating from step to step, so that a slower or faster spell of a
shared machine hits all of them alike. Speed-ups are the median of the
per-step ratios.
"""
import os
import platform
import statistics
import time
from typing import Callable, Dict, List, Mapping, Sequence, Tuple

import torch

CONV_OPS = ('aten::mkldnn_convolution', 'aten::convolution_backward',
            'aten::cudnn_convolution', 'aten::_slow_conv2d_forward',
            'aten::_slow_conv2d_backward', 'aten::thnn_conv2d')
# CPU features that decide which kernels torch can use
CPU_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')


def cpu_model() -> str:
    """Return the CPU model name as the kernel reports it.

    Returns:
        str: ``model name`` of ``/proc/cpuinfo``, else
        :func:`platform.processor`, else the architecture.
    """
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> List[str]:
    """Return which of :data:`CPU_FLAGS` the CPU has.

    Returns:
        list[str]: The flags present, in :data:`CPU_FLAGS` order.
    """
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    have = set(line.split(':', 1)[1].split())
                    return [flag for flag in CPU_FLAGS if flag in have]
    except OSError:
        pass
    return []


def describe_machine(device: str = 'cpu') -> str:
    """Describe the machine a benchmark runs on, for its printout.

    Args:
        device (str): ``'cpu'`` or a CUDA device. Defaults to ``'cpu'``.

    Returns:
        str: GPU name, or CPU model, flags, cores and threads; with torch's
        version.
    """
    if device.startswith('cuda'):
        where = torch.cuda.get_device_name(device)
    else:
        flags = ' '.join(cpu_flags()) or 'none of ' + '/'.join(CPU_FLAGS)
        where = (f'{cpu_model()} [{flags}], {os.cpu_count()} CPU cores, '
                 f'{torch.get_num_threads()} threads')
    return f'{where}, torch {torch.__version__}'


def timed(fn: Callable[[], object], device: str = 'cpu') -> float:
    """Run ``fn`` once and return its wall time in seconds.

    Args:
        fn (Callable): The work; its result is discarded.
        device (str): On CUDA devices the queue is drained before and
            after. Defaults to ``'cpu'``.

    Returns:
        float: Seconds.
    """
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def paired_times(candidates: Mapping[str, Callable[[], object]],
                 steps: int,
                 warmup: int = 2,
                 device: str = 'cpu') -> Dict[str, List[float]]:
    """Time candidates step by step, alternating who goes first.

    Args:
        candidates (Mapping[str, Callable]): Name to one step of work.
        steps (int): Timed steps per candidate.
        warmup (int): Untimed steps per candidate first. Defaults to 2.
        device (str): Device the work runs on. Defaults to ``'cpu'``.

    Returns:
        dict[str, list[float]]: Per candidate, the seconds of each step.
    """
    names = list(candidates)
    for name in names:
        for _ in range(warmup):
            candidates[name]()
    times: Dict[str, List[float]] = {name: [] for name in names}
    for step in range(steps):
        for name in (names if step % 2 == 0 else names[::-1]):
            times[name].append(timed(candidates[name], device))
    return times


def ratio_summary(slow: Sequence[float],
                  fast: Sequence[float]) -> Dict[str, float]:
    """Summarise per-step ratios ``slow / fast`` of paired steps.

    Args:
        slow (Sequence[float]): Seconds per step of the reference.
        fast (Sequence[float]): Seconds per step of the candidate.

    Returns:
        dict[str, float]: ``median``, ``q1`` and ``q3`` of the ratios (all
        three the single ratio when there is one step).
    """
    ratios = [s / f for s, f in zip(slow, fast)]
    if len(ratios) > 1:
        q1, _, q3 = statistics.quantiles(ratios, n=4)
    else:
        q1 = q3 = ratios[0]
    return dict(median=statistics.median(ratios), q1=q1, q3=q3)


def profile_split(fn: Callable[[], object], steps: int,
                  device: str) -> Dict[str, object]:
    """Split a step's time into convolution kernels and everything else.

    Args:
        fn (Callable): One step.
        steps (int): Profiled steps.
        device (str): ``'cpu'`` or ``'cuda'``; on CUDA kernel time counts.

    Returns:
        dict: ``conv_ms`` and ``other_ms`` per step, and the ``top`` five
        other operators by self time per step.
    """
    from torch.profiler import ProfilerActivity, profile
    cuda = device.startswith('cuda')
    activities = [ProfilerActivity.CPU
                  ] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        for _ in range(steps):
            fn()
        if cuda:
            torch.cuda.synchronize()
    conv = other = 0.
    others: List[Tuple[float, str]] = []
    for event in prof.key_averages():
        us = (event.self_device_time_total
              if cuda else event.self_cpu_time_total) / steps
        if cuda and event.device_type.name != 'CUDA':
            continue  # host-side time overlaps the kernels
        if any(op in event.key
               for op in CONV_OPS) or (cuda and 'conv' in event.key.lower()):
            conv += us
        else:
            other += us
            others.append((us, event.key))
    top = [f'{key} {us / 1000:.1f}' for us, key in sorted(others)[::-1][:5]]
    return dict(conv_ms=conv / 1000, other_ms=other / 1000, top=top)
