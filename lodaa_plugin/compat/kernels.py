# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""mmcv's compiled kernels from torchvision and PyTorch, for an mmcv without
them (``mmcv-lite``).

mmdet imports ``mmcv.ops`` in dozens of modules, and each ``mmcv.ops`` module
asks ``mmcv.utils.ext_loader.load_ext('_ext', [...])`` for its kernels when it
is imported. An mmcv built without ops has no ``mmcv._ext``, so ``import
mmdet.models`` fails although LODAA's models call none of those kernels on
their main path. :func:`install_kernel_fallbacks` answers ``load_ext`` from
this module when (and only when) ``mmcv._ext`` does not exist:

- ``nms`` (and so ``batched_nms``, both of its paths): ``torchvision.ops.nms``;
- ``softnms``: mmcv's CPU algorithm, step for step;
- ``roi_align_forward`` / ``_backward`` (``pool_mode='avg'``):
  ``torchvision.ops.roi_align`` and its autograd;
- ``sigmoid_focal_loss_forward`` / ``_backward``: mmcv's formulas (mmdet's
  ``FocalLoss`` calls this kernel for CUDA tensors);
- ``deform_conv_*`` and ``modulated_deform_conv_*`` (DCN v1 and v2):
  ``torchvision.ops.deform_conv2d`` and its autograd.

Any other kernel is still importable, so every mmdet module loads, and raises
:class:`MissingKernelError` naming the kernel, the mmcv module that wanted it
and how to get compiled ops, when it is called. Nothing is put in
``sys.modules``: ``mmcv._ext`` stays missing and ``mmengine``'s
``mmcv_full_available()`` keeps answering False.
"""
import importlib
import importlib.util
import inspect
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import Tensor

from .once import apply_once

GET_OPS = ('LODAA_MMCV_OPS=1 make env in a LODAA checkout (a matching mmcv '
           'wheel, or a compile of about an hour on 2 cores); in an '
           'environment of your own, mmcv 2.1.0 compiled with -std=c++20: '
           'docs/get_started.md, "Compiled mmcv ops"')


class MissingKernelError(RuntimeError):
    """A compiled mmcv kernel that this mmcv lacks and LODAA does not
    provide."""


def _nms(bboxes: Tensor, scores: Tensor, iou_threshold: float,
         offset: int) -> Tensor:
    """``ext_module.nms``: indices kept by greedy NMS, highest score first.

    Args:
        bboxes (Tensor): Boxes (N, 4), x1 y1 x2 y2.
        scores (Tensor): Scores (N,).
        iou_threshold (float): A box is dropped when its IoU with a kept,
            higher-scoring box exceeds this.
        offset (int): 1 for mmcv's legacy ``x2 - x1 + 1`` widths, else 0.

    Returns:
        Tensor: Indices into ``bboxes`` (int64), by descending score.
    """
    from torchvision.ops import nms
    if offset:
        # (x2 + 1) - x1 is the legacy width, for the areas and the overlap
        bboxes = torch.cat([bboxes[:, :2], bboxes[:, 2:] + offset], dim=1)
    return nms(bboxes, scores, float(iou_threshold))


def _softnms(boxes: Tensor, scores: Tensor, dets: Tensor, iou_threshold: float,
             sigma: float, min_score: float, method: int,
             offset: int) -> Tensor:
    """``ext_module.softnms``: mmcv's CPU soft-NMS (Bodla et al., 2017).

    Follows mmcv's kernel step for step, its swaps included, so that ties
    are broken as there: at step ``i`` the highest remaining score (the
    first of equals) moves to position ``i`` and decays the others; a box
    whose score falls below ``min_score`` is replaced by the last one.

    Args:
        boxes (Tensor): Boxes (N, 4) on the CPU.
        scores (Tensor): Scores (N,).
        dets (Tensor): Output (N, 5), filled in place with the kept boxes and
            their decayed scores, in the order kept.
        iou_threshold (float): Overlap above which ``naive`` and ``linear``
            decay a score.
        sigma (float): Width of the ``gaussian`` decay.
        min_score (float): Boxes whose score falls below it are dropped.
        method (int): 0 naive (hard NMS), 1 linear, 2 gaussian.
        offset (int): 1 for the legacy ``x2 - x1 + 1`` widths, else 0.

    Returns:
        Tensor: Indices (int64) of the kept boxes into ``boxes``.
    """
    n = boxes.size(0)
    if n == 0:
        return boxes.new_empty(0, dtype=torch.long)
    box = boxes.detach().float().clone()
    score = scores.detach().float().clone()
    area = (box[:, 2] - box[:, 0] + offset) * (box[:, 3] - box[:, 1] + offset)
    ind = torch.arange(n)
    for i in range(n):
        if i >= n:
            break
        best = i + int(torch.argmax(score[i:n]))
        for t in (box, score, area, ind):
            t[[i, best]] = t[[best, i]]
        dets[i, :4] = box[i]
        dets[i, 4] = score[i]
        if i + 1 >= n:
            continue
        rest = slice(i + 1, n)
        lt = torch.maximum(box[rest, :2], box[i, :2])
        rb = torch.minimum(box[rest, 2:], box[i, 2:])
        wh = (rb - lt + offset).clamp(min=0)
        inter = wh[:, 0] * wh[:, 1]
        iou = inter / (area[i] + area[rest] - inter)
        if method == 0:
            weight = torch.where(iou >= iou_threshold, 0.0, 1.0)
        elif method == 1:
            weight = torch.where(iou >= iou_threshold, 1 - iou, 1.0)
        else:
            weight = torch.exp(-(iou * iou) / sigma)
        score[rest] *= weight
        # mmcv drops a box by moving the last one into its place and looking
        # at that one next; replay the moves to keep its order
        order = list(range(i + 1, n))
        drop = (score[rest] < min_score).tolist()
        dropped = dict(zip(order, drop))
        pos = 0
        while pos < len(order):
            if dropped[order[pos]]:
                order[pos] = order[-1]
                order.pop()
            else:
                pos += 1
        perm = torch.tensor(list(range(i + 1)) + order, dtype=torch.long)
        for t in (box, score, area, ind):
            t[:len(perm)] = t[perm].clone()
        n = len(perm)
    return ind[:n].clone()


def _roi_align_forward(input: Tensor, rois: Tensor, output: Tensor,
                       argmax_y: Tensor, argmax_x: Tensor, aligned_height: int,
                       aligned_width: int, spatial_scale: float,
                       sampling_ratio: int, pool_mode: int,
                       aligned: bool) -> None:
    """``ext_module.roi_align_forward``: writes RoIAlign into ``output``.

    Args:
        input (Tensor): Features (B, C, H, W).
        rois (Tensor): RoIs (K, 5): batch index, x1, y1, x2, y2.
        output (Tensor): Output (K, C, aligned_height, aligned_width).
        argmax_y, argmax_x (Tensor): Used by ``pool_mode`` 0 (max) only.
        aligned_height, aligned_width (int): Output size.
        spatial_scale (float): Scale from box to feature coordinates.
        sampling_ratio (int): Samples per bin side; 0 adapts to the RoI.
        pool_mode (int): 1 for average (the only mode provided), 0 for max.
        aligned (bool): Shift boxes by half a pixel (Detectron2's RoIAlign).
    """
    from torchvision.ops import roi_align
    if pool_mode != 1:
        raise _missing('roi_align_forward (pool_mode="max")',
                       'mmcv.ops.roi_align')
    output.copy_(
        roi_align(input, rois, (aligned_height, aligned_width), spatial_scale,
                  sampling_ratio, aligned))


def _roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor,
                        argmax_x: Tensor, grad_input: Tensor,
                        aligned_height: int, aligned_width: int,
                        spatial_scale: float, sampling_ratio: int,
                        pool_mode: int, aligned: bool) -> None:
    """``ext_module.roi_align_backward``: accumulates into ``grad_input``.

    RoIAlign is linear in its input, so its gradient is the autograd of
    torchvision's RoIAlign taken at any input, zeros here.

    Args:
        grad_output (Tensor): Gradient of the output (K, C, h, w).
        grad_input (Tensor): Gradient of the features (B, C, H, W), written.
        rois, argmax_y, argmax_x, aligned_height, aligned_width,
        spatial_scale, sampling_ratio, pool_mode, aligned: As in
            :func:`_roi_align_forward`.
    """
    from torchvision.ops import roi_align
    if pool_mode != 1:
        raise _missing('roi_align_backward (pool_mode="max")',
                       'mmcv.ops.roi_align')
    with torch.enable_grad():
        probe = torch.zeros_like(grad_input, requires_grad=True)
        out = roi_align(probe, rois, (aligned_height, aligned_width),
                        spatial_scale, sampling_ratio, aligned)
        grad, = torch.autograd.grad(out, probe, grad_output)
    grad_input.add_(grad)


def _focal_terms(input: Tensor, target: Tensor,
                 weight: Tensor) -> Dict[str, Tensor]:
    """What both focal-loss kernels share: p, the positive mask, weights."""
    p = torch.sigmoid(input)
    classes = torch.arange(input.size(1), device=input.device)
    positive = target.view(-1, 1) == classes.view(1, -1)
    scale = None
    if weight.numel() > 0:
        scale = weight[target].view(-1, 1)
    return dict(p=p, positive=positive, scale=scale)


def _sigmoid_focal_loss_forward(input: Tensor, target: Tensor, weight: Tensor,
                                output: Tensor, gamma: float,
                                alpha: float) -> None:
    """``ext_module.sigmoid_focal_loss_forward``: the element-wise loss.

    ``-alpha (1-p)^gamma log p`` where ``target`` names the column, else
    ``-(1-alpha) p^gamma log(1-p)``, with mmcv's floor on the logarithms and,
    when ``weight`` is not empty, times ``weight[target]``.

    Args:
        input (Tensor): Logits (N, C).
        target (Tensor): Class index (N,), int64; C is background.
        weight (Tensor): Per-class weights (C,) or empty.
        output (Tensor): Loss (N, C), written.
        gamma (float): Focusing parameter.
        alpha (float): Weight of the positives.
    """
    t = _focal_terms(input, target, weight)
    p = t['p']
    tiny = torch.finfo(p.dtype).tiny
    pos = -alpha * (1 - p).pow(gamma) * torch.log(p.clamp(min=tiny))
    neg = -(1 - alpha) * p.pow(gamma) * torch.log((1 - p).clamp(min=tiny))
    loss = torch.where(t['positive'], pos, neg)
    if t['scale'] is not None:
        loss = loss * t['scale']
    output.copy_(loss)


def _sigmoid_focal_loss_backward(input: Tensor, target: Tensor, weight: Tensor,
                                 grad_input: Tensor, gamma: float,
                                 alpha: float) -> None:
    """``ext_module.sigmoid_focal_loss_backward``: d loss / d logit.

    Args:
        input, target, weight, gamma, alpha: As in
            :func:`_sigmoid_focal_loss_forward`.
        grad_input (Tensor): The gradient (N, C), written; mmcv scales it
            by the output gradient and the reduction afterwards.
    """
    t = _focal_terms(input, target, weight)
    p = t['p']
    tiny = torch.finfo(p.dtype).tiny
    pos = -alpha * (1 - p).pow(gamma) * (
        1 - p - gamma * p * torch.log(p.clamp(min=tiny)))
    neg = -(1 - alpha) * p.pow(gamma) * (
        gamma * (1 - p) * torch.log((1 - p).clamp(min=tiny)) - p)
    grad = torch.where(t['positive'], pos, neg)
    if t['scale'] is not None:
        grad = grad * t['scale']
    grad_input.copy_(grad)


def _deform_conv(input: Tensor, weight: Tensor, offset: Tensor,
                 mask: Optional[Tensor], bias: Optional[Tensor], stride: tuple,
                 padding: tuple, dilation: tuple) -> Tensor:
    """torchvision's deformable convolution with mmcv's arguments; groups
    and deformable groups follow from the shapes, as in mmcv."""
    from torchvision.ops import deform_conv2d
    return deform_conv2d(
        input,
        offset,
        weight,
        bias,
        stride=stride,
        padding=padding,
        dilation=dilation,
        mask=mask)


def _deform_conv_grads(inputs: List[Tensor], grad_output: Tensor,
                       **conv: Any) -> List[Tensor]:
    """Gradients of :func:`_deform_conv` with respect to ``inputs``
    (input, weight, offset, mask, bias; None where absent), by autograd."""
    with torch.enable_grad():
        leaves = [
            None if t is None else t.detach().requires_grad_() for t in inputs
        ]
        out = _deform_conv(*leaves, **conv)
        wanted = [t for t in leaves if t is not None]
        grads = iter(torch.autograd.grad(out, wanted, grad_output))
    return [None if t is None else next(grads) for t in leaves]


def _conv_args(kH: int, kW: int, dH: int, dW: int, padH: int, padW: int,
               dilationH: int, dilationW: int) -> Dict[str, tuple]:
    return dict(
        stride=(dH, dW), padding=(padH, padW), dilation=(dilationH, dilationW))


def _deform_conv_forward(input: Tensor, weight: Tensor, offset: Tensor,
                         output: Tensor, columns: Tensor, ones: Tensor,
                         kW: int, kH: int, dW: int, dH: int, padW: int,
                         padH: int, dilationW: int, dilationH: int, group: int,
                         deformable_group: int, im2col_step: int) -> None:
    """``ext_module.deform_conv_forward`` (DCN v1): writes ``output``.

    Args:
        input (Tensor): Features (B, C, H, W).
        weight (Tensor): Kernel (C_out, C / group, kH, kW).
        offset (Tensor): Offsets (B, 2 * deformable_group * kH * kW, H', W'),
            (y, x) per kernel point, the layout mmcv and torchvision share.
        output (Tensor): Output (B, C_out, H', W'), written.
        columns, ones (Tensor): mmcv's work buffers, unused.
        kW, kH, dW, dH, padW, padH, dilationW, dilationH (int): Kernel size,
            stride, padding and dilation.
        group, deformable_group, im2col_step (int): Implied by the shapes
            here; ``im2col_step`` only batches mmcv's own loop.
    """
    conv = _conv_args(kH, kW, dH, dW, padH, padW, dilationH, dilationW)
    output.copy_(_deform_conv(input, weight, offset, None, None, **conv))


def _deform_conv_backward_input(input: Tensor, offset: Tensor,
                                gradOutput: Tensor, gradInput: Tensor,
                                gradOffset: Tensor, weight: Tensor,
                                columns: Tensor, kW: int, kH: int, dW: int,
                                dH: int, padW: int, padH: int, dilationW: int,
                                dilationH: int, group: int,
                                deformable_group: int,
                                im2col_step: int) -> None:
    """``ext_module.deform_conv_backward_input``: writes the gradients of
    the features and the offsets (arguments as
    :func:`_deform_conv_forward`)."""
    conv = _conv_args(kH, kW, dH, dW, padH, padW, dilationH, dilationW)
    grads = _deform_conv_grads([input, weight, offset, None, None], gradOutput,
                               **conv)
    gradInput.copy_(grads[0])
    gradOffset.copy_(grads[2])


def _deform_conv_backward_parameters(input: Tensor, offset: Tensor,
                                     gradOutput: Tensor, gradWeight: Tensor,
                                     columns: Tensor, ones: Tensor, kW: int,
                                     kH: int, dW: int, dH: int, padW: int,
                                     padH: int, dilationW: int, dilationH: int,
                                     group: int, deformable_group: int,
                                     scale: float, im2col_step: int) -> None:
    """``ext_module.deform_conv_backward_parameters``: adds ``scale`` times
    the kernel's gradient to ``gradWeight`` (arguments as
    :func:`_deform_conv_forward`)."""
    conv = _conv_args(kH, kW, dH, dW, padH, padW, dilationH, dilationW)
    weight = gradWeight.new_zeros(gradWeight.shape)
    # the kernel's gradient does not depend on the kernel: any value will do
    grads = _deform_conv_grads([input, weight, offset, None, None], gradOutput,
                               **conv)
    gradWeight.add_(grads[1], alpha=scale)


def _modulated_conv_args(kernel_h: int, kernel_w: int, stride_h: int,
                         stride_w: int, pad_h: int, pad_w: int,
                         dilation_h: int, dilation_w: int,
                         **_: Any) -> Dict[str, tuple]:
    return dict(
        stride=(stride_h, stride_w),
        padding=(pad_h, pad_w),
        dilation=(dilation_h, dilation_w))


def _modulated_deform_conv_forward(input: Tensor, weight: Tensor, bias: Tensor,
                                   ones: Tensor, offset: Tensor, mask: Tensor,
                                   output: Tensor, columns: Tensor,
                                   with_bias: bool, **shape: int) -> None:
    """``ext_module.modulated_deform_conv_forward`` (DCN v2): writes
    ``output``.

    Args:
        input, weight, offset (Tensor): As in :func:`_deform_conv_forward`.
        bias (Tensor): Bias (C_out,), used when ``with_bias``.
        mask (Tensor): Modulation (B, deformable_group * kH * kW, H', W').
        output (Tensor): Output, written.
        ones, columns (Tensor): mmcv's work buffers, unused.
        with_bias (bool): Whether ``bias`` is added.
        **shape (int): ``kernel_h``, ``kernel_w``, ``stride_h``,
            ``stride_w``, ``pad_h``, ``pad_w``, ``dilation_h``,
            ``dilation_w``, ``group``, ``deformable_group``.
    """
    output.copy_(
        _deform_conv(input, weight, offset, mask, bias if with_bias else None,
                     **_modulated_conv_args(**shape)))


def _modulated_deform_conv_backward(input: Tensor, weight: Tensor,
                                    bias: Tensor, ones: Tensor, offset: Tensor,
                                    mask: Tensor, columns: Tensor,
                                    grad_input: Tensor, grad_weight: Tensor,
                                    grad_bias: Tensor, grad_offset: Tensor,
                                    grad_mask: Tensor, grad_output: Tensor,
                                    with_bias: bool, **shape: int) -> None:
    """``ext_module.modulated_deform_conv_backward``: writes every gradient
    (arguments as :func:`_modulated_deform_conv_forward`)."""
    grads = _deform_conv_grads(
        [input, weight, offset, mask, bias if with_bias else None],
        grad_output, **_modulated_conv_args(**shape))
    targets = (grad_input, grad_weight, grad_offset, grad_mask, grad_bias)
    for target, grad in zip(targets, grads):
        if grad is not None:
            target.copy_(grad)


#: The kernels LODAA provides, by the name mmcv's ``ext_module`` uses.
KERNELS: Dict[str, Callable[..., Any]] = {
    'nms': _nms,
    'softnms': _softnms,
    'roi_align_forward': _roi_align_forward,
    'roi_align_backward': _roi_align_backward,
    'sigmoid_focal_loss_forward': _sigmoid_focal_loss_forward,
    'sigmoid_focal_loss_backward': _sigmoid_focal_loss_backward,
    'deform_conv_forward': _deform_conv_forward,
    'deform_conv_backward_input': _deform_conv_backward_input,
    'deform_conv_backward_parameters': _deform_conv_backward_parameters,
    'modulated_deform_conv_forward': _modulated_deform_conv_forward,
    'modulated_deform_conv_backward': _modulated_deform_conv_backward,
}


def _missing(kernel: str, module: str) -> MissingKernelError:
    return MissingKernelError(
        f"{module} needs mmcv's compiled kernel '{kernel}', which this mmcv "
        'does not have (it was installed without compiled ops, as '
        "mmcv-lite) and which LODAA has no torchvision fallback for "
        f"({', '.join(sorted(KERNELS))} have one). Install mmcv with "
        f'compiled ops: {GET_OPS}.')


def _unavailable(kernel: str, module: str) -> Callable[..., Any]:

    def kernel_fn(*args: Any, **kwargs: Any) -> Any:
        raise _missing(kernel, module)

    kernel_fn.__name__ = kernel
    return kernel_fn


class FallbackExtension:
    """What ``load_ext('_ext', funcs)`` returns without compiled ops.

    Args:
        funcs (list[str]): The kernels the importing module asked for.
        module (str): The importing module, for the error message.
    """

    def __init__(self, funcs: List[str], module: str) -> None:
        self.module = module
        for name in funcs:
            setattr(self, name,
                    KERNELS.get(name) or _unavailable(name, module))

    def __getattr__(self, name: str) -> Any:
        # a kernel the module did not declare (mmcv never does this); Python's
        # own probes (copy, pickle, inspect) get the usual AttributeError
        if name.startswith('__'):
            raise AttributeError(name)
        return _unavailable(name, self.module)


def compiled_ops_available() -> bool:
    """Whether this mmcv has its compiled ops (``mmcv._ext``).

    Returns:
        bool: True when ``mmcv._ext`` exists.

    Raises:
        ImportError: When ``mmcv._ext`` exists but does not load (built for
            another torch), naming the file and both ways out.
    """
    spec = importlib.util.find_spec('mmcv._ext')
    if spec is None:
        return False
    try:
        importlib.import_module('mmcv._ext')
    except (ImportError, OSError) as error:
        raise ImportError(
            f"mmcv's compiled ops in {spec.origin} do not load beside torch "
            f'{torch.__version__}: {error}. They were built for another '
            'torch: rebuild them (LODAA_MMCV_OPS=1 make env) or replace mmcv '
            'by mmcv-lite (make env), whose missing kernels LODAA provides.'
        ) from error
    return True


@apply_once
def install_kernel_fallbacks() -> bool:
    """Answer mmcv's ``load_ext`` from :data:`KERNELS` when ``mmcv._ext`` is
    missing; nothing changes where it exists.

    Must run before the first import of ``mmcv.ops`` (``import lodaa_plugin``
    does it first thing). Silent: :func:`report_kernel_fallbacks` speaks.

    Returns:
        bool: True if this call installed the fallbacks.
    """
    from mmcv.utils import ext_loader
    if compiled_ops_available():
        return False
    original = ext_loader.load_ext

    def load_ext(name: str, funcs: List[str]) -> Any:
        if name != '_ext':
            return original(name, funcs)
        caller = inspect.currentframe().f_back
        return FallbackExtension(funcs, caller.f_globals.get('__name__', '?'))

    ext_loader.load_ext = load_ext
    return True


@apply_once
def report_kernel_fallbacks() -> bool:
    """Say, once, that mmcv's kernels come from :data:`KERNELS`.

    :func:`~lodaa_plugin.compat.enable_compat` lists it among the fixes it
    logs; ``import lodaa_plugin`` installs the fallbacks without a word.

    Returns:
        bool: True the first time it is called with the fallbacks in place.
    """
    return kernel_fallbacks_installed()


def kernel_fallbacks_installed() -> bool:
    """Whether :func:`install_kernel_fallbacks` is in effect.

    Returns:
        bool: True when mmcv's kernels come from :data:`KERNELS`.
    """
    return install_kernel_fallbacks.applied


__all__ = [
    'KERNELS', 'FallbackExtension', 'MissingKernelError',
    'compiled_ops_available', 'install_kernel_fallbacks',
    'kernel_fallbacks_installed', 'report_kernel_fallbacks'
]
