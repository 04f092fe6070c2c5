# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""t-SNE of a model's features on test images, coloured by class.

Works for classifiers (default: the neck output, i.e. the final block
globally pooled: 512-d for ResNet18) and detectors (the backbone's last
stage, globally pooled).

    python tools/analysis/tsne.py \
        configs/resnet18/resnet18_linear-probe_1xb64-50e_voc07.py \
        work_dirs/resnet18_linear-probe_1xb64-50e_voc07/epoch_50.pth \
        --num-images 1000
"""
import argparse
import os
import os.path as osp

import numpy as np
from mmengine.config import DictAction

from lodaa_plugin.apis import extract_features, load_checkpoint_strict
from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.builders import build_model_without_weights
from lodaa_plugin.utils.cli_args import (add_unsafe_load_arg, positive_float,
                                         positive_int)
from lodaa_plugin.utils.config_loading import read_config
from lodaa_plugin.visualization import embed_tsne, plot_tsne
from lodaa_plugin.visualization.tsne import LABEL_RULES


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='t-SNE of model features')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument(
        '--num-images',
        type=positive_int,
        default=1000,
        help='random test images (all if fewer)')
    parser.add_argument(
        '--stage',
        default='neck',
        choices=['backbone', 'neck'],
        help='classifier feature: backbone or neck output')
    parser.add_argument(
        '--label-rule',
        default='rarest',
        choices=LABEL_RULES,
        help='colour of a multi-class image: its rarest class (default), '
        'its first, or the mean of its classes\' colours')
    parser.add_argument('--perplexity', type=positive_float, default=30.)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=positive_int, default=32)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out-dir', default='work_dirs/tsne')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_unsafe_load_arg(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    enable_compat()
    cfg = read_config(args.config, args.cfg_options)
    # the checkpoint has the weights
    model, registry = build_model_without_weights(cfg)
    load_checkpoint_strict(model, args.checkpoint, args.config)
    model.to(args.device).eval()
    dataset = registry.DATASETS.build(cfg.test_dataloader.dataset)
    classes = dataset.metainfo['classes']
    rng = np.random.RandomState(args.seed)
    count = min(args.num_images, len(dataset))
    indices = sorted(rng.choice(len(dataset), count, replace=False))
    feats, labels, paths = extract_features(model, dataset, indices,
                                            args.batch_size, args.stage)
    print(f'{len(feats)} features of size {feats.shape[1]}; running t-SNE')
    embedding = embed_tsne(feats, args.seed, args.perplexity)

    os.makedirs(args.out_dir, exist_ok=True)
    name = osp.splitext(osp.basename(args.config))[0]
    png = osp.join(args.out_dir, f'{name}_tsne.png')
    plot_tsne(
        embedding,
        labels,
        classes,
        png,
        args.label_rule,
        title=f't-SNE of {name} features ({len(feats)} test images)')
    npz = osp.join(args.out_dir, f'{name}_tsne.npz')
    np.savez(
        npz,
        embedding=embedding,
        labels=labels,
        features=feats,
        classes=np.array(classes),
        img_paths=np.array(paths))
    print(f'wrote {png} and {npz}')


if __name__ == '__main__':
    main()
