# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Pretrained weights that cannot be downloaded say what to do.

mmengine loads ``torchvision://NAME`` and ``http(s)://`` checkpoints through
``torch.hub``, which looks for the file in ``$TORCH_HOME/hub/checkpoints/``
first and downloads it otherwise. Offline, that download ends in a bare
``URLError`` ("Name or service not known") deep inside the model's
initialisation, naming neither the file nor a way out. The loaders
registered here (mmengine's public ``CheckpointLoader.register_scheme``) are
mmengine's own, wrapped: a failed download raises
:class:`PretrainedWeightsUnavailable`, naming the weights, the URL, the exact
path where torch looks for the file, and how to train without them.
"""
import functools
import http.client
import os.path as osp
import urllib.error
from typing import Any, Callable
from urllib.parse import urlparse

import torch

from .once import apply_once

#: the config key that trains LODAA's configs from random weights
NO_PRETRAINED = 'model.backbone.init_cfg=None'

_FETCH_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError,
                 http.client.HTTPException)


class PretrainedWeightsUnavailable(RuntimeError):
    """Pretrained weights that could not be downloaded; the message says
    where to put the file and how to train without it."""


def weights_url(filename: str) -> str:
    """The URL mmengine downloads for a checkpoint name.

    Args:
        filename (str): ``torchvision://NAME`` (or ``modelzoo://NAME``), or a
            URL.

    Returns:
        str: The URL.
    """
    for prefix in ('torchvision://', 'modelzoo://'):
        if filename.startswith(prefix):
            from mmengine.runner.checkpoint import get_torchvision_models
            return get_torchvision_models()[filename[len(prefix):]]
    return filename


def cached_weights_path(url: str) -> str:
    """Where ``torch.hub`` looks for a URL's file before downloading it.

    Args:
        url (str): The weights' URL.

    Returns:
        str: ``<torch.hub.get_dir()>/checkpoints/<file name>``; the hub
        folder is ``$TORCH_HOME/hub`` (default ``~/.cache/torch/hub``).
    """
    return osp.join(torch.hub.get_dir(), 'checkpoints',
                    osp.basename(urlparse(url).path))


def _explaining(loader: Callable[..., Any]) -> Callable[..., Any]:

    @functools.wraps(loader)
    def load(filename: str, map_location: Any = None) -> Any:
        try:
            return loader(filename, map_location)
        except _FETCH_ERRORS as error:
            url = weights_url(filename)
            raise PretrainedWeightsUnavailable(
                f'the pretrained weights {filename} could not be downloaded'
                f'{"" if url == filename else " from " + url} ({error}). '
                'Either put that file at '
                f'{cached_weights_path(url)} (torch looks there before '
                'downloading; $TORCH_HOME moves it), copied from a machine '
                'with internet, or train from random weights: --cfg-options '
                f"{NO_PRETRAINED} (LODAA's configs; in another config, the "
                'init_cfg that names these weights).') from None

    return load


@apply_once
def patch_pretrained_download() -> bool:
    """Register mmengine's ``torchvision://``, ``modelzoo://`` and
    ``http(s)://`` checkpoint loaders wrapped by an explanation of a failed
    download.

    Returns:
        bool: True if this call registered them.
    """
    from mmengine.runner import checkpoint
    checkpoint.CheckpointLoader.register_scheme(
        ('torchvision://', 'modelzoo://'),
        _explaining(checkpoint.load_from_torchvision),
        force=True)
    checkpoint.CheckpointLoader.register_scheme(
        ('http://', 'https://'),
        _explaining(checkpoint.load_from_http),
        force=True)
    return True


def fetch_pretrained(model_cfg: Any) -> None:
    """Fetch every downloadable ``Pretrained`` checkpoint a model config
    names, before anything is built, so that offline the run stops at once
    with :class:`PretrainedWeightsUnavailable` instead of after building its
    datasets. Files already where torch looks are not read.

    Args:
        model_cfg (Any): A config's ``model`` (dicts and lists, searched
            for ``init_cfg=dict(type='Pretrained', checkpoint=...)``).
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    stack = [model_cfg]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, dict):
            checkpoint = node.get('checkpoint')
            if node.get('type') == 'Pretrained' and isinstance(
                    checkpoint, str) and checkpoint.startswith(
                        ('torchvision://', 'modelzoo://', 'http://',
                         'https://')) and not osp.isfile(
                             cached_weights_path(weights_url(checkpoint))):
                CheckpointLoader.load_checkpoint(checkpoint, 'cpu')
            stack.extend(node.values())
