# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Bootstrap intervals of AP: exact per resample, 95% coverage of a known
true AP, paired intervals narrower than unpaired ones, the INT8 gate."""
import numpy as np
import pytest
import torch

from lodaa_plugin.evaluation.analysis import ImageResult, score_results
from lodaa_plugin.evaluation.metrics import bootstrap

ClassMatches = bootstrap.ClassMatches
CLASSES = ('a', 'b', 'c')


def _images(rng, n, found=0.8, jitter=3.0, false=1.5, sep=1.5):
    """Synthetic test images: objects, detections of a fraction of them
    (jittered boxes, higher scores) and false detections."""
    results = []
    for i in range(n):
        k = rng.poisson(2)
        xy = rng.uniform(0, 300, (k, 2))
        boxes = np.hstack([xy, xy + rng.uniform(20, 90, (k, 2))])
        labels = rng.integers(0, len(CLASSES), k)
        difficult = rng.random(k) < 0.1
        hit = rng.random(k) < found
        m = rng.poisson(false)
        fxy = rng.uniform(0, 300, (m, 2))
        dets = np.vstack([
            boxes[hit] + rng.normal(0, jitter, (hit.sum(), 4)),
            np.hstack([fxy, fxy + rng.uniform(20, 90, (m, 2))])
        ])
        results.append(
            ImageResult(
                img_path=f'{i}.jpg',
                gt_bboxes=boxes[~difficult].astype(np.float32),
                gt_labels=labels[~difficult],
                ignore_bboxes=boxes[difficult].astype(np.float32),
                ignore_labels=labels[difficult],
                bboxes=dets.astype(np.float32),
                scores=np.concatenate(
                    [rng.normal(sep, 1, hit.sum()),
                     rng.normal(0, 1, m)]).astype(np.float32),
                labels=np.concatenate(
                    [labels[hit],
                     rng.integers(0, len(CLASSES), m)])))
    return results


@pytest.fixture(scope='module')
def scored():
    results = _images(np.random.default_rng(0), 120)
    values, metric = score_results(results, dict(classes=CLASSES))
    return results, values, metric


def test_unit_weights_give_the_metrics_own_numbers(scored):
    _, values, metric = scored
    ones = np.ones((1, 120))
    assert set(metric.sources) == {
        'mAP_11points', 'mAP_area', 'coco_AP', 'coco_AP50', 'coco_AP75'
    }
    for key, source in metric.sources.items():
        unit = bootstrap.mean_over_classes(bootstrap.key_samples(source, ones))
        assert unit[0] == pytest.approx(values[key], abs=1e-6), key
    assert values['mAP_low'] < values['mAP'] < values['mAP_high']
    assert all('ap_low' in entry for entry in metric.per_class.values())


def test_a_resample_is_the_metric_on_the_drawn_images(scored):
    """Weights = the metric run on the images repeated as often as drawn:
    the recomputation is exact, not an approximation."""
    results, _, metric = scored
    weights = bootstrap.resample_weights(len(results), 3, seed=5)
    for row in weights:
        drawn = [
            r for r, count in zip(results, row) for _ in range(int(count))
        ]
        values, _ = score_results(drawn, dict(classes=CLASSES), interval=None)
        for key, source in metric.sources.items():
            got = bootstrap.mean_over_classes(
                bootstrap.key_samples(source, row[None]))[0]
            assert got == pytest.approx(values[key], abs=1e-6), key


def test_the_log_shows_intervals_resamples_and_seed(scored):
    from lodaa_testing import logged_messages
    results, _, _ = scored
    with logged_messages() as records:
        score_results(
            results[:10],
            dict(classes=CLASSES),
            interval=dict(resamples=200, seed=3))
    text = '\n'.join(records)
    assert '200 resamples, seed 3' in text
    assert '| ap [95% interval]' in text
    # 10 images hold fewer than 10 objects of some class
    assert 'few test objects: wide interval' in text


def test_too_few_images_get_no_interval_not_a_narrow_one(scored):
    """One test image: every resample is that image, a width-0 interval
    that would claim certainty; below MIN_IMAGES none is given."""
    from lodaa_plugin.deployment.evaluate import int8_decision
    from lodaa_testing import logged_messages
    results, _, _ = scored
    few = results[:bootstrap.MIN_IMAGES - 1]
    with logged_messages() as records:
        values, metric = score_results(few, dict(classes=CLASSES))
    text = '\n'.join(records)
    assert f'no interval on {len(few)} test images, fewer than 10' in text
    assert '[n/a]' in text and 'wide interval' not in text
    assert np.isnan(values['mAP_low']) and np.isnan(values['mAP_high'])
    source = metric.sources['mAP_area']
    pair = bootstrap.paired_difference([source], [source], len(few))
    assert pair.verdict == 'undecided' and '[n/a]' in pair.describe()
    gate = int8_decision(few, few, dict(classes=CLASSES), 0.01)
    assert gate.verdict == 'undecided'
    assert gate.images_needed == bootstrap.MIN_IMAGES
    # at MIN_IMAGES the interval is there
    values, _ = score_results(results[:bootstrap.MIN_IMAGES],
                              dict(classes=CLASSES))
    assert values['mAP_low'] <= values['mAP'] <= values['mAP_high']


def _simulated(rng, n, found=0.75, false=1.5, sep=1.5):
    """One class's ranked matches on n images: detected objects score
    N(sep, 1), false detections N(0, 1). (``found`` is not a multiple of
    0.1: at a largest recall on one of VOC07's recall points, the 11-point
    AP jumps as the sample's recall falls either side, no interval's
    setting.)"""
    k = rng.poisson(2.0, n)
    hit = rng.random(k.sum()) < found
    images = np.concatenate([
        np.repeat(np.arange(n), k)[hit],
        np.repeat(np.arange(n), m := rng.poisson(false, n))
    ])
    scores = np.concatenate(
        [rng.normal(sep, 1, hit.sum()),
         rng.normal(0, 1, m.sum())])
    tp = np.arange(len(scores)) < hit.sum()
    order = np.argsort(-scores, kind='mergesort')
    return ClassMatches(images[order], tp[order][None], ~tp[order][None], k)


@pytest.mark.parametrize('mode', ['area', '11points'])
def test_95_percent_intervals_cover_the_true_ap(mode):
    """The true AP: the AP of a 400,000-image population; 600 test sets of
    1,000 images each drawn from it, 250 resamples each."""
    rng = np.random.default_rng(1)
    truth = bootstrap.weighted_ap(
        _simulated(rng, 400_000), np.ones((1, 400_000)), mode)[0, 0]
    covered = 0
    trials = 600
    for trial in range(trials):
        matches = _simulated(rng, 1000)
        samples = bootstrap.weighted_ap(
            matches, bootstrap.resample_weights(1000, 250, trial), mode)[:, 0]
        low, high = bootstrap.percentile_interval(samples, 0.95)
        covered += low <= truth <= high
    assert 0.93 <= covered / trials <= 0.97, covered / trials


def _source(matches, mode='area'):
    return bootstrap.APSource([matches], mode)


def _rescored(matches, rng, noise):
    """The same detections, scores perturbed (a correlated second model)."""
    scores = -np.arange(len(matches.images), dtype=float)  # their ranks
    scores = scores / len(scores) + rng.normal(0, noise, len(scores))
    order = np.argsort(-scores, kind='mergesort')
    return ClassMatches(matches.images[order], matches.tp[:, order],
                        matches.fp[:, order], matches.num_gts)


def test_paired_intervals_are_narrower_than_unpaired():
    rng = np.random.default_rng(2)
    a = _simulated(rng, 800)
    b = _rescored(a, rng, 0.05)
    pair = bootstrap.paired_difference([_source(a)], [_source(b)],
                                       800,
                                       resamples=500)
    # unpaired: each model's images resampled independently
    unpaired = (
        bootstrap.weighted_ap(a, bootstrap.resample_weights(
            800, 500, 1), 'area') - bootstrap.weighted_ap(
                b, bootstrap.resample_weights(800, 500, 2), 'area'))
    low, high = bootstrap.percentile_interval(unpaired[:, 0], 0.95)
    assert pair.low <= pair.difference <= pair.high
    assert (pair.high - pair.low) < 0.5 * (high - low)


def test_verdicts_and_the_seeds_that_would_resolve_them():
    rng = np.random.default_rng(3)
    good = [_simulated(rng, 500, found=0.9, sep=2.5) for _ in range(3)]
    bad = [_simulated(rng, 500, found=0.6, sep=1.0) for _ in range(3)]
    ahead = bootstrap.paired_difference([_source(m) for m in good],
                                        [_source(m) for m in bad],
                                        500,
                                        resamples=300)
    assert ahead.verdict == 'ahead' and ahead.seeds == 3
    assert 'A ahead at 95%' in ahead.describe()
    behind = bootstrap.paired_difference([_source(m) for m in bad],
                                         [_source(m) for m in good],
                                         500,
                                         resamples=300)
    assert behind.verdict == 'behind'
    # the same model twice: nothing between them, at any seed count
    same = bootstrap.paired_difference([_source(m) for m in good],
                                       [_source(m) for m in good],
                                       500,
                                       resamples=300)
    assert same.verdict == 'level' and same.difference == 0
    # seeds of one model that differ by chance: level, more seeds named
    noisy = bootstrap.paired_difference(
        [_source(m) for m in good[:2]],
        [_source(_rescored(m, rng, 0.3)) for m in good[:2]],
        500,
        resamples=300)
    assert noisy.seeds_needed is None or noisy.seeds_needed >= 2 or \
        noisy.seeds_needed == -1
    with pytest.raises(ValueError, match='same number'):
        bootstrap.paired_difference([_source(good[0])], [], 500)


def _int8_like(results, rng, score_noise, drop_rate=0.0):
    """The same detections, scores perturbed; with ``drop_rate`` a share of
    them lost (a degraded model)."""
    out = []
    for r in results:
        keep = rng.random(len(r.scores)) >= drop_rate
        out.append(
            r._replace(
                bboxes=r.bboxes[keep],
                labels=r.labels[keep],
                scores=(r.scores +
                        rng.normal(0, score_noise, len(r.scores))).astype(
                            np.float32)[keep]))
    return out


def test_the_int8_gate_refuses_a_degraded_model_and_keeps_a_faithful_one():
    from lodaa_plugin.deployment.evaluate import int8_decision
    rng = np.random.default_rng(4)
    fp32 = _images(rng, 500, found=0.9, sep=2.5)
    meta = dict(classes=CLASSES)
    faithful = int8_decision(
        fp32, _int8_like(fp32, rng, 0.01), meta, 0.01, resamples=300)
    assert faithful.verdict == 'keep', faithful.describe()
    assert abs(faithful.drop) < 0.005
    degraded = int8_decision(
        fp32,
        _int8_like(fp32, rng, 0.3, drop_rate=0.08),
        meta,
        0.01,
        resamples=300)
    assert 0.03 < degraded.drop < 0.09, degraded.describe()
    assert degraded.verdict == 'refuse', degraded.describe()
    assert 'worst class' in degraded.describe()
    # few images: a tolerance inside the interval is not decided, and more
    # images are named
    few, worse = fp32[:60], _int8_like(fp32[:60], rng, 0.3, drop_rate=0.05)
    first = int8_decision(few, worse, meta, 0.01, resamples=300)
    tolerance = first.drop + 0.4 * (first.high - first.drop)
    unsure = int8_decision(few, worse, meta, tolerance, resamples=300)
    assert unsure.verdict == 'undecided', unsure.describe()
    assert unsure.images_needed > 60
    assert f'about {unsure.images_needed} test images would decide' in \
        unsure.describe()


def test_the_int8_gate_says_unchecked_when_fp32_finds_nothing():
    """0 vs 0 (a model for sliced inference scored on whole images) is no
    evidence: not 'kept within the tolerance'."""
    from lodaa_plugin.deployment.evaluate import int8_decision
    rng = np.random.default_rng(6)
    blind = [
        r._replace(
            bboxes=r.bboxes[:0], scores=r.scores[:0], labels=r.labels[:0])
        for r in _images(rng, 40)
    ]
    gate = int8_decision(blind, blind, dict(classes=CLASSES), 0.01)
    assert gate.verdict == 'unchecked'
    assert 'NOT CHECKED: OpenVINO fp32 scores 0 on these 40 images' in \
        gate.describe()
    assert 'within --int8-tolerance' not in gate.describe()


def test_the_classification_map_gets_an_interval():
    from lodaa_plugin.evaluation.metrics import LodaaPerClassAP
    from lodaa_plugin.evaluation.metrics.per_class_ap import label_matches
    g = torch.Generator().manual_seed(0)
    target = (torch.rand(300, 4, generator=g) < 0.3).long()
    target[torch.rand(300, 4, generator=g) < 0.05] = -1
    target[:, 3] = 0  # no positive image: no AP, no interval
    pred = target.clamp(min=0) * 0.8 + torch.rand(300, 4, generator=g)
    metric = LodaaPerClassAP(interval=dict(resamples=300))
    metric.dataset_meta = dict(classes=list('abcd'))
    out = metric.compute_metrics(
        [dict(pred_score=p, gt_score=t) for p, t in zip(pred, target)])
    assert out['mAP_low'] < out['mAP'] < out['mAP_high']
    unit = bootstrap.key_samples(
        bootstrap.APSource(label_matches(pred, target), 'precision'),
        np.ones((1, 300)))[0] * 100
    assert unit[:3] == pytest.approx(out['AP_classwise'][:3], abs=1e-3)
    assert np.isnan(unit[3])
    off = LodaaPerClassAP(interval=None)
    off.dataset_meta = metric.dataset_meta
    assert 'mAP_low' not in off.compute_metrics(
        [dict(pred_score=p, gt_score=t) for p, t in zip(pred, target)])


def test_seed_noise_widens_the_combined_interval():
    """Runs whose seeds disagree: the interval over seeds and images is
    wider than one seed's, which covers the images only."""
    rng = np.random.default_rng(5)
    base = [_simulated(rng, 500, found=0.8, sep=2.0) for _ in range(4)]
    other = [
        _simulated(rng, 500, found=f, sep=2.0) for f in (0.55, 0.85, 0.6, 0.9)
    ]
    both = bootstrap.paired_difference([_source(m) for m in base],
                                       [_source(m) for m in other],
                                       500,
                                       resamples=400)
    one = bootstrap.paired_difference([_source(base[0])], [_source(other[0])],
                                      500,
                                      resamples=400)
    assert both.high - both.low > 1.5 * (one.high - one.low)
    assert both.difference == pytest.approx(np.mean(both.per_seed))
    assert both.seeds_needed is not None
