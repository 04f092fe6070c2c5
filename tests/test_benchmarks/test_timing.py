# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The shared timing helpers pair steps fairly and summarise them right."""
import pytest

from projects.benchmarks.timing import (CPU_FLAGS, cpu_flags, describe_machine,
                                        paired_times, ratio_summary)


def test_paired_times_alternate_who_goes_first():
    calls = []
    times = paired_times(
        dict(a=lambda: calls.append('a'), b=lambda: calls.append('b')),
        steps=4,
        warmup=1)
    assert calls[:2] == ['a', 'b']  # warm-up, once each
    assert calls[2:] == ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']
    assert [len(t) for t in times.values()] == [4, 4]


def test_ratio_summary_is_median_and_quartiles_of_step_ratios():
    slow = [2., 4., 6., 8., 10.]
    fast = [1., 1., 2., 2., 2.]  # ratios 2, 4, 3, 4, 5
    summary = ratio_summary(slow, fast)
    assert summary['median'] == 4.
    assert summary['q1'] == pytest.approx(2.5)
    assert summary['q3'] == pytest.approx(4.5)
    assert ratio_summary([3.], [2.]) == dict(median=1.5, q1=1.5, q3=1.5)


def test_machine_description_names_the_cpu_and_its_flags():
    text = describe_machine('cpu')
    assert 'CPU cores' in text and 'torch' in text
    flags = cpu_flags()
    assert set(flags) <= set(CPU_FLAGS)
    assert all(flag in text for flag in flags)
