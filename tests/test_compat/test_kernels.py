# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""lodaa_plugin.compat.kernels: mmcv's kernels without compiled mmcv.

Each fallback is held equal to a plain reference written here (greedy NMS,
soft-NMS, RoIAlign by its definition, the focal-loss formula and its
autograd gradient) on random, tied and empty inputs, and to mmcv's own
compiled kernels where those are installed (``make test-ops`` builds such an
environment; elsewhere those tests are skipped and say so).
"""
import importlib
import importlib.util
import math
import subprocess

import pytest
import torch

from lodaa_plugin.compat import kernels
from lodaa_plugin.compat.kernels import KERNELS, MissingKernelError
from lodaa_testing import PYTHON, python_env

COMPILED = importlib.util.find_spec('mmcv._ext') is not None
needs_compiled = pytest.mark.skipif(
    not COMPILED,
    reason='mmcv here has no compiled ops (mmcv-lite): the parity with '
    "mmcv's own kernels runs in `make test-ops`")
needs_lite = pytest.mark.skipif(
    COMPILED, reason='mmcv here has compiled ops: no fallback is installed')
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def random_boxes(n: int, seed: int = 0, size: float = 100.):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * size
    wh = torch.rand(n, 2, generator=g) * size / 3 + 1
    return torch.cat([xy, xy + wh], 1), torch.rand(n, generator=g)


def tied_boxes():
    """Duplicated boxes and scores: equal scores on overlapping boxes."""
    boxes, _ = random_boxes(12, seed=1, size=30.)
    boxes = torch.cat([boxes, boxes[:6], boxes[:3] + 0.5])
    scores = torch.tensor([0.5, 0.9, 0.5, 0.3, 0.9, 0.5] * 3 + [0.7] * 3)
    return boxes, scores


def iou(a, b, offset=0):
    w = max(0., min(a[2], b[2]) - max(a[0], b[0]) + offset)
    h = max(0., min(a[3], b[3]) - max(a[1], b[1]) + offset)
    area = (lambda r: (r[2] - r[0] + offset) * (r[3] - r[1] + offset))
    inter = w * h
    return inter / (area(a) + area(b) - inter)


def greedy_nms(boxes, scores, thr, offset=0):
    """Greedy NMS: the highest score first, equal scores by index."""
    boxes, scores = boxes.tolist(), scores.tolist()
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep, dropped = [], set()
    for pos, i in enumerate(order):
        if i in dropped:
            continue
        keep.append(i)
        for j in order[pos + 1:]:
            if iou(boxes[i], boxes[j], offset) > thr:
                dropped.add(j)
    return keep


def is_greedy_nms(boxes, scores, keep, thr, offset=0):
    """Whether ``keep`` is what greedy NMS keeps for some order of equal
    scores: by descending score, no two kept boxes overlapping above
    ``thr``, every other box overlapping a kept one of no lower score."""
    b, s = boxes.tolist(), scores.tolist()
    if [s[i] for i in keep] != sorted((s[i] for i in keep), reverse=True):
        return False
    if any(
            iou(b[i], b[j], offset) > thr for n, i in enumerate(keep)
            for j in keep[n + 1:]):
        return False
    return all(
        any(s[k] >= s[j] and iou(b[k], b[j], offset) > thr for k in keep)
        for j in set(range(len(s))) - set(keep))


def reference_soft_nms(boxes, scores, thr, sigma, min_score, method):
    """Soft-NMS by its definition: keep the best, decay the rest, drop
    scores under ``min_score``."""
    boxes, scores = boxes.tolist(), scores.tolist()
    left = list(range(len(scores)))
    kept, kept_scores = [], []
    while left:
        best = max(left, key=lambda i: scores[i])
        left.remove(best)
        kept.append(best)
        kept_scores.append(scores[best])
        for j in left:
            o = iou(boxes[best], boxes[j])
            if method == 'gaussian':
                scores[j] *= math.exp(-o * o / sigma)
            elif o >= thr:
                scores[j] *= (1 - o) if method == 'linear' else 0.
        left = [j for j in left if scores[j] >= min_score]
    return kept, kept_scores


def reference_roi_align(x, rois, out_hw, scale, ratio, aligned):
    """RoIAlign (average) by its definition, as mmcv documents it: each bin
    the mean of bilinear samples on a regular grid."""
    ph_n, pw_n = out_hw
    _, channels, height, width = x.shape
    out = []
    for roi in rois.tolist():
        b = int(roi[0])
        shift = 0.5 if aligned else 0.
        x1, y1 = roi[1] * scale - shift, roi[2] * scale - shift
        rw, rh = roi[3] * scale - shift - x1, roi[4] * scale - shift - y1
        if not aligned:
            rw, rh = max(rw, 1.), max(rh, 1.)
        bw, bh = rw / pw_n, rh / ph_n
        gw = ratio if ratio > 0 else math.ceil(rw / pw_n)
        gh = ratio if ratio > 0 else math.ceil(rh / ph_n)
        bins = []
        for ph in range(ph_n):
            row = []
            for pw in range(pw_n):
                acc = x.new_zeros(channels)
                for iy in range(gh):
                    for ix in range(gw):
                        yy = y1 + ph * bh + (iy + .5) * bh / gh
                        xx = x1 + pw * bw + (ix + .5) * bw / gw
                        acc = acc + bilinear(x[b], yy, xx, height, width)
                row.append(acc / max(gh * gw, 1))
            bins.append(torch.stack(row, -1))
        out.append(torch.stack(bins, -2))
    return torch.stack(out) if out else x.new_zeros(0, channels, ph_n, pw_n)


def bilinear(img, y, x, height, width):
    if y < -1. or y > height or x < -1. or x > width:
        return img.new_zeros(img.shape[0])
    y, x = max(y, 0.), max(x, 0.)
    y0, x0 = int(y), int(x)
    if y0 >= height - 1:
        y0 = y1 = height - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= width - 1:
        x0 = x1 = width - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[:, y0, x0] +
            (1 - ly) * lx * img[:, y0, x1] + ly * (1 - lx) * img[:, y1, x0] +
            ly * lx * img[:, y1, x1])


def bilinear_or_zero(img, y, x):
    """Bilinear sample at tensor coordinates, zero beyond the border, as
    deformable convolution samples (differentiable in y and x)."""
    height, width = img.shape[-2:]
    if y <= -1 or y >= height or x <= -1 or x >= width:
        return img.new_zeros(img.shape[0])
    y0, x0 = int(torch.floor(y)), int(torch.floor(x))
    ly, lx = y - y0, x - x0
    val = img.new_zeros(img.shape[0])
    for yy, wy in ((y0, 1 - ly), (y0 + 1, ly)):
        for xx, wx in ((x0, 1 - lx), (x0 + 1, lx)):
            if 0 <= yy < height and 0 <= xx < width:
                val = val + wy * wx * img[:, yy, xx]
    return val


def reference_deform_conv(x, offset, weight, mask, bias, stride, pad):
    """Deformable convolution by its definition (Dai et al., 2017; with
    ``mask``, Zhu et al., 2019): each kernel point samples the input at its
    place plus its offset, (y, x) per point and deformable group."""
    batch, channels = x.shape[:2]
    out_channels, group_in, kh, kw = weight.shape
    groups = channels // group_in
    deform_groups = offset.shape[1] // (2 * kh * kw)
    out_h, out_w = offset.shape[2:]
    per_dg = channels // deform_groups
    rows = []
    for b in range(batch):
        pixels = []
        for oy in range(out_h):
            for ox in range(out_w):
                cols = []
                for i in range(kh):
                    for j in range(kw):
                        k = i * kw + j
                        parts = []
                        for g in range(deform_groups):
                            dy = offset[b, g * 2 * kh * kw + 2 * k, oy, ox]
                            dx = offset[b, g * 2 * kh * kw + 2 * k + 1, oy, ox]
                            v = bilinear_or_zero(
                                x[b, g * per_dg:(g + 1) * per_dg],
                                oy * stride - pad + i + dy,
                                ox * stride - pad + j + dx)
                            if mask is not None:
                                v = v * mask[b, g * kh * kw + k, oy, ox]
                            parts.append(v)
                        cols.append(torch.cat(parts))
                sampled = torch.stack(cols, 1)  # (C, kh * kw)
                outs = []
                per_group = out_channels // groups
                for g in range(groups):
                    w = weight[g * per_group:(g + 1) * per_group].reshape(
                        per_group, -1)
                    s = sampled[g * group_in:(g + 1) * group_in].reshape(-1)
                    outs.append(w @ s)
                pixels.append(torch.cat(outs))
        rows.append(torch.stack(pixels, 1).reshape(out_channels, out_h, out_w))
    out = torch.stack(rows)
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def focal_formula(logits, target, gamma, alpha):
    """The sigmoid focal loss (Lin et al., 2017), element-wise."""
    p = logits.sigmoid()
    onehot = torch.nn.functional.one_hot(target, logits.size(1) + 1)[:, :-1]
    pos = -alpha * (1 - p)**gamma * torch.log(p)
    neg = -(1 - alpha) * p**gamma * torch.log(1 - p)
    return torch.where(onehot.bool(), pos, neg)


# --- NMS -------------------------------------------------------------------


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('case', ['random', 'tied', 'empty'])
def test_nms_is_greedy_nms(case, offset, device):
    from mmcv.ops import nms
    boxes, scores = dict(
        random=random_boxes(300),
        tied=tied_boxes(),
        empty=(torch.zeros(0, 4), torch.zeros(0)))[case]
    expected = greedy_nms(boxes, scores, 0.4, offset)
    kept = KERNELS['nms'](boxes.to(device), scores.to(device), 0.4, offset)
    assert kept.dtype == torch.long
    dets, inds = nms(boxes.to(device), scores.to(device), 0.4, offset)
    if case == 'tied' and (device == 'cuda' or COMPILED):
        # neither the GPU's sort nor mmcv's keeps equal scores in index order
        assert is_greedy_nms(boxes, scores, kept.tolist(), 0.4, offset)
        assert is_greedy_nms(boxes, scores, inds.tolist(), 0.4, offset)
        return
    assert kept.tolist() == expected
    assert inds.tolist() == expected
    assert torch.equal(dets[:, 4].cpu(), scores[expected])


def test_nms_score_threshold_and_max_num():
    from mmcv.ops import nms
    boxes, scores = random_boxes(200, seed=3)
    _, inds = nms(boxes, scores, 0.5, score_threshold=0.3, max_num=5)
    mask = scores > 0.3
    idx = torch.nonzero(mask).squeeze(1)
    expected = idx[greedy_nms(boxes[mask], scores[mask], 0.5)][:5]
    assert inds.tolist() == expected.tolist()


@pytest.mark.parametrize('many', [False, True])
def test_batched_nms_is_greedy_nms_per_class(many):
    """Both of mmcv's batched_nms paths: the class offset trick, and the
    per-class loop above ``split_thr``."""
    from mmcv.ops import batched_nms
    boxes, scores = random_boxes(400, seed=4)
    labels = torch.arange(400) % 3
    cfg = dict(type='nms', iou_threshold=0.45)
    if many:
        cfg['split_thr'] = 100
    dets, keep = batched_nms(boxes, scores, labels, cfg)
    expected = []
    for c in range(3):
        idx = torch.nonzero(labels == c).squeeze(1)
        expected += idx[greedy_nms(boxes[idx], scores[idx], 0.45)].tolist()
    # batched_nms orders the kept boxes by score
    expected = sorted(expected, key=lambda i: -scores[i].item())
    assert keep.tolist() == expected
    assert torch.allclose(dets[:, :4], boxes[expected])


# --- soft-NMS --------------------------------------------------------------


@pytest.mark.parametrize('method', ['naive', 'linear', 'gaussian'])
@pytest.mark.parametrize('case', ['random', 'empty'])
def test_soft_nms_is_soft_nms(case, method):
    from mmcv.ops import soft_nms
    boxes, scores = dict(
        random=random_boxes(120, seed=5, size=50.),
        empty=(torch.zeros(0, 4), torch.zeros(0)))[case]
    kept, kept_scores = reference_soft_nms(boxes, scores, 0.3, 0.5, 1e-2,
                                           method)
    dets, inds = soft_nms(boxes, scores, 0.3, 0.5, 1e-2, method)
    assert inds.tolist() == kept
    assert torch.allclose(dets[:, 4], torch.tensor(kept_scores), atol=1e-6)
    assert torch.equal(dets[:, :4], boxes[kept])


def test_soft_nms_tied_scores_keeps_the_same_detections():
    """Equal scores on duplicated boxes: which twin is kept is the kernel's
    choice (held to mmcv's by the compiled test), the detections are not."""
    from mmcv.ops import soft_nms
    boxes, scores = tied_boxes()
    kept, kept_scores = reference_soft_nms(boxes, scores, 0.3, 0.5, 1e-3,
                                           'linear')
    dets, _ = soft_nms(boxes, scores, 0.3, 0.5, 1e-3, 'linear')
    expected = torch.cat([boxes[kept], torch.tensor(kept_scores)[:, None]], 1)
    assert dets.shape == expected.shape
    as_rows = (lambda d: sorted(map(tuple, d.round(decimals=5).tolist())))
    assert as_rows(dets) == as_rows(expected)


# --- RoIAlign --------------------------------------------------------------


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('aligned,ratio', [(True, 0), (False, 2), (True, 3)])
def test_roi_align_forward_and_backward(aligned, ratio, device):
    from mmcv.ops import roi_align
    g = torch.Generator().manual_seed(6)
    x = torch.randn(2, 3, 12, 14, generator=g, dtype=torch.float64)
    rois = torch.tensor([[0, 1.3, 2.2, 9.7, 8.1], [1, 0., 0., 13.9, 11.9],
                         [1, 5.5, 3.1, 6.0, 3.4], [0, -2., -1., 4., 20.]],
                        dtype=torch.float64)
    grad_out = torch.randn(4, 3, 3, 2, generator=g, dtype=torch.float64)

    ref_x = x.clone().requires_grad_()
    ref = reference_roi_align(ref_x, rois, (3, 2), 0.5, ratio, aligned)
    ref.backward(grad_out)

    dev_x = x.to(device).requires_grad_()
    out = roi_align(dev_x, rois.to(device), (3, 2), 0.5, ratio, 'avg', aligned)
    out.backward(grad_out.to(device))
    assert torch.allclose(out.cpu(), ref.detach(), atol=1e-9)
    assert torch.allclose(dev_x.grad.cpu(), ref_x.grad, atol=1e-9)


def test_roi_align_without_rois():
    from mmcv.ops import roi_align
    x = torch.randn(1, 2, 5, 5, requires_grad=True)
    out = roi_align(x, torch.zeros(0, 5), (2, 2), 1.0, 0, 'avg', True)
    assert out.shape == (0, 2, 2, 2)
    out.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))


# --- sigmoid focal loss ----------------------------------------------------


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('n', [0, 1, 37])
def test_sigmoid_focal_loss_kernels_are_the_formula(n, device):
    g = torch.Generator().manual_seed(7)
    logits = (torch.randn(n, 5, generator=g, dtype=torch.float64) *
              4).to(device)
    target = torch.randint(0, 6, (n, ), generator=g).to(device)
    empty = logits.new_empty(0)
    out = torch.zeros_like(logits)
    KERNELS['sigmoid_focal_loss_forward'](logits, target, empty, out, 2.0,
                                          0.25)
    leaf = logits.clone().requires_grad_()
    ref = focal_formula(leaf, target, 2.0, 0.25)
    assert torch.allclose(out, ref.detach(), atol=1e-12)

    grad = torch.zeros_like(logits)
    KERNELS['sigmoid_focal_loss_backward'](logits, target, empty, grad, 2.0,
                                           0.25)
    ref.sum().backward()
    assert torch.allclose(grad, leaf.grad, atol=1e-12)


def test_sigmoid_focal_loss_class_weights():
    logits = torch.randn(6, 3, dtype=torch.float64)
    target = torch.tensor([0, 1, 2, 0, 1, 2])
    weight = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    out = torch.zeros_like(logits)
    KERNELS['sigmoid_focal_loss_forward'](logits, target, weight, out, 2.0,
                                          0.25)
    ref = focal_formula(logits, target, 2.0, 0.25) * weight[target, None]
    assert torch.allclose(out, ref)


@needs_lite
def test_sigmoid_focal_loss_through_mmcv_matches_mmdets_python_loss():
    """mmdet's FocalLoss takes mmcv's kernel for CUDA tensors and its own
    Python loss otherwise: with the fallback both give one loss."""
    from mmcv.ops import sigmoid_focal_loss
    from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss
    logits = torch.randn(50, 4, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 5, (50, ))
    loss = sigmoid_focal_loss(logits, target, 2.0, 0.25, None, 'mean')
    loss.backward()
    grad = logits.grad.clone()
    logits.grad = None
    onehot = torch.nn.functional.one_hot(target, 5)[:, :4].double()
    py = py_sigmoid_focal_loss(logits, onehot, reduction='sum') / 50
    py.backward()
    assert torch.allclose(loss, py)
    assert torch.allclose(grad, logits.grad)


# --- deformable convolution ------------------------------------------------


def deform_inputs(modulated, seed=11):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 4, 6, 5, generator=g, dtype=torch.float64)
    weight = torch.randn(6, 2, 3, 3, generator=g, dtype=torch.float64)
    # offsets up to two pixels: samples fall between pixels and outside
    offset = torch.randn(
        2, 2 * 2 * 9, 3, 3, generator=g, dtype=torch.float64) * 2
    mask = torch.rand(2, 2 * 9, 3, 3, generator=g, dtype=torch.float64)
    bias = torch.randn(6, generator=g, dtype=torch.float64)
    if not modulated:
        mask = bias = None
    return x, offset, weight, mask, bias


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('modulated', [False, True])
def test_deform_conv_forward_and_backward(modulated, device):
    """mmcv's DCN v1 and v2 functions, stride 2, padding 1, two groups and
    two deformable groups, against the definition and its autograd."""
    from mmcv.ops import deform_conv2d, modulated_deform_conv2d
    x, offset, weight, mask, bias = deform_inputs(modulated)
    ref_in = [
        t if t is None else t.clone().requires_grad_()
        for t in (x, offset, weight, mask, bias)
    ]
    ref = reference_deform_conv(*ref_in, stride=2, pad=1)
    grad_out = torch.randn_like(ref)
    ref.backward(grad_out)

    ins = [
        t if t is None else t.to(device).requires_grad_()
        for t in (x, offset, weight, mask, bias)
    ]
    if modulated:
        out = modulated_deform_conv2d(ins[0], ins[1], ins[3], ins[2], ins[4],
                                      2, 1, 1, 2, 2)
    else:
        out = deform_conv2d(ins[0], ins[1], ins[2], 2, 1, 1, 2, 2, False, 1)
    out.backward(grad_out.to(device))
    assert torch.allclose(out.cpu(), ref.detach(), atol=1e-9)
    for ours, theirs in zip(ins, ref_in):
        if ours is not None:
            assert torch.allclose(ours.grad.cpu(), theirs.grad, atol=1e-9)


# --- what is not provided, and when nothing is installed --------------------


@needs_lite
def test_unprovided_kernel_names_itself_and_the_way_out():
    from mmcv.ops import RoIPool
    with pytest.raises(MissingKernelError) as info:
        RoIPool((2, 2))(torch.randn(1, 3, 8, 8),
                        torch.tensor([[0, 0., 0, 4, 4]]))
    message = str(info.value)
    assert "'roi_pool_forward'" in message
    assert 'mmcv.ops.roi_pool ' in message
    assert 'LODAA_MMCV_OPS=1 make env' in message


@needs_lite
def test_max_pool_roi_align_is_refused_by_name():
    from mmcv.ops import roi_align
    with pytest.raises(MissingKernelError, match='pool_mode="max"'):
        roi_align(
            torch.randn(1, 1, 4, 4), torch.tensor([[0, 0., 0, 2, 2]]), (2, 2),
            1.0, 0, 'max', True)


@needs_lite
def test_no_fake_extension_module():
    import sys

    from mmengine.utils.dl_utils import mmcv_full_available
    assert kernels.kernel_fallbacks_installed()
    assert 'mmcv._ext' not in sys.modules
    assert not mmcv_full_available()


@pytest.mark.slow
@needs_lite
def test_mmdet_models_need_lodaa_first_without_compiled_ops():
    """The import order the reuse guide asks for: lodaa_plugin before
    mmdet.models."""
    env = python_env()
    first = subprocess.run([PYTHON, '-c', 'import mmdet.models'],
                           capture_output=True,
                           text=True,
                           env=env)
    assert first.returncode != 0
    assert "No module named 'mmcv._ext'" in first.stderr
    after = subprocess.run([
        PYTHON, '-c', 'import lodaa_plugin, mmdet.models, '
        'mmpretrain.models, lodaa_plugin.compat.enable'
    ],
                           capture_output=True,
                           text=True,
                           env=env)
    assert after.returncode == 0, after.stderr[-2000:]
    assert 'mmcv has no compiled ops' in after.stdout + after.stderr


def test_compiled_ops_that_do_not_load_are_named(monkeypatch):
    spec = importlib.machinery.ModuleSpec(
        'mmcv._ext', None, origin='/x/mmcv/_ext.so')
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: spec)

    def fail(name):
        raise ImportError('undefined symbol: _ZN3c10')

    monkeypatch.setattr(importlib, 'import_module', fail)
    with pytest.raises(ImportError) as info:
        kernels.compiled_ops_available()
    assert '/x/mmcv/_ext.so' in str(info.value)
    assert 'undefined symbol' in str(info.value)
    assert 'mmcv-lite' in str(info.value)


@needs_compiled
def test_nothing_changes_with_compiled_ops():
    mmcv_nms = importlib.import_module('mmcv.ops.nms')
    assert not kernels.kernel_fallbacks_installed()
    assert mmcv_nms.ext_module is importlib.import_module('mmcv._ext')


# --- against mmcv's own compiled kernels -----------------------------------


def compiled():
    return importlib.import_module('mmcv._ext')


@needs_compiled
@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('case', ['random', 'tied', 'empty'])
def test_nms_equals_mmcv_compiled(case, offset):
    boxes, scores = dict(
        random=random_boxes(500, seed=8),
        tied=tied_boxes(),
        empty=(torch.zeros(0, 4), torch.zeros(0)))[case]
    ours = KERNELS['nms'](boxes, scores, 0.5, offset)
    theirs = compiled().nms(boxes, scores, iou_threshold=0.5, offset=offset)
    if case == 'tied':
        # mmcv's sort orders equal scores its own way, torchvision's by index:
        # each keeps what greedy NMS keeps for its order
        assert is_greedy_nms(boxes, scores, ours.tolist(), 0.5, offset)
        assert is_greedy_nms(boxes, scores, theirs.tolist(), 0.5, offset)
    else:
        assert ours.tolist() == theirs.tolist()


@needs_compiled
@pytest.mark.parametrize('method', [0, 1, 2])
@pytest.mark.parametrize('case', ['random', 'tied', 'empty'])
def test_soft_nms_equals_mmcv_compiled(case, method):
    boxes, scores = dict(
        random=random_boxes(200, seed=9, size=40.),
        tied=tied_boxes(),
        empty=(torch.zeros(0, 4), torch.zeros(0)))[case]
    args = dict(
        iou_threshold=0.3, sigma=0.5, min_score=1e-3, method=method, offset=0)
    ours_dets, theirs_dets = torch.zeros(len(boxes),
                                         5), torch.zeros(len(boxes), 5)
    ours = KERNELS['softnms'](boxes, scores, ours_dets, **args)
    theirs = compiled().softnms(boxes, scores, theirs_dets, **args)
    assert ours.tolist() == theirs.tolist()
    n = len(ours)
    assert torch.allclose(ours_dets[:n], theirs_dets[:n], atol=1e-6)


@needs_compiled
@pytest.mark.parametrize('aligned,ratio', [(True, 0), (False, 2)])
def test_roi_align_equals_mmcv_compiled(aligned, ratio):
    g = torch.Generator().manual_seed(10)
    x = torch.randn(2, 4, 20, 24, generator=g)
    xy = torch.rand(30, 2, generator=g) * 40
    rois = torch.cat([
        torch.randint(0, 2, (30, 1), generator=g).float(), xy,
        xy + torch.rand(30, 2, generator=g) * 20
    ], 1)
    grad_out = torch.randn(30, 4, 7, 7, generator=g)
    shape = dict(
        aligned_height=7,
        aligned_width=7,
        spatial_scale=0.5,
        sampling_ratio=ratio,
        pool_mode=1,
        aligned=aligned)
    results = []
    for kernel in (KERNELS, None):
        out, grad = torch.zeros(30, 4, 7, 7), torch.zeros_like(x)
        empty = x.new_zeros(0)
        if kernel is None:
            compiled().roi_align_forward(x, rois, out, empty, empty, **shape)
            compiled().roi_align_backward(grad_out, rois, empty, empty, grad,
                                          **shape)
        else:
            kernel['roi_align_forward'](x, rois, out, empty, empty, **shape)
            kernel['roi_align_backward'](grad_out, rois, empty, empty, grad,
                                         **shape)
        results.append((out, grad))
    assert torch.allclose(results[0][0], results[1][0], atol=1e-5)
    assert torch.allclose(results[0][1], results[1][1], atol=1e-4)


@needs_compiled
@pytest.mark.parametrize('modulated', [False, True])
def test_deform_conv_equals_mmcv_compiled(modulated):
    from mmcv.ops.deform_conv import DeformConv2dFunction
    from mmcv.ops.modulated_deform_conv import ModulatedDeformConv2dFunction
    x, offset, weight, mask, bias = [
        t if t is None else t.float() for t in deform_inputs(modulated, 12)
    ]
    results = []
    for fallback in (True, False):
        ins = [
            t if t is None else t.clone().requires_grad_()
            for t in (x, offset, weight, mask, bias)
        ]
        module = ModulatedDeformConv2dFunction if modulated else \
            DeformConv2dFunction
        ext = importlib.import_module(module.__module__)
        saved = ext.ext_module
        if fallback:
            ext.ext_module = kernels.FallbackExtension(list(KERNELS), 'test')
        try:
            if modulated:
                out = module.apply(ins[0], ins[1], ins[3], ins[2], ins[4], 2,
                                   1, 1, 2, 2)
            else:
                out = module.apply(ins[0], ins[1], ins[2], 2, 1, 1, 2, 2)
            out.backward(torch.ones_like(out))
        finally:
            ext.ext_module = saved
        results.append([out] + [t.grad for t in ins if t is not None])
    for ours, theirs in zip(*results):
        assert torch.allclose(
            ours, theirs, atol=1e-4), (ours - theirs).abs().max()


@needs_compiled
@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="mmcv compiles sigmoid_focal_loss for CUDA only: no GPU here")
def test_sigmoid_focal_loss_equals_mmcv_compiled_on_cuda():
    logits = torch.randn(64, 20, device='cuda') * 3
    target = torch.randint(0, 21, (64, ), device='cuda')
    empty = logits.new_empty(0)
    for name in ('sigmoid_focal_loss_forward', 'sigmoid_focal_loss_backward'):
        ours, theirs = torch.zeros_like(logits), torch.zeros_like(logits)
        KERNELS[name](logits, target, empty, ours, 2.0, 0.25)
        getattr(compiled(), name)(
            logits, target, empty, theirs, gamma=2.0, alpha=0.25)
        assert torch.allclose(ours, theirs, atol=1e-5)
