# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Dataset build time (first and cached) on a VOC07+12-sized tree, and the
training loader's images/s per worker count.

The tree is generated: N annotation files copied from a real VOC year folder
(each one made distinct) and, for images, links to its photos.

    python tools/analysis/benchmark_dataset.py \
        --sample data/VOCdevkit/VOC2007 --num 16551 --workers 0 1 2
"""
import argparse
import os
import os.path as osp
import shutil
import sys
import tempfile

from mmengine.registry import init_default_scope

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.cli_args import non_negative_int, positive_int
from lodaa_plugin.utils.config_loading import read_config

# the benchmark harness lives in the checkout (projects/), not in the package
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from projects.benchmarks.timing import describe_machine, timed
from projects.benchmarks.voc_copies import copy_voc_sample

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--sample',
        default='data/VOCdevkit/VOC2007',
        help='a VOC year folder (Annotations/, JPEGImages/) whose files are '
        'copied to make the tree')
    parser.add_argument('--num', type=positive_int, default=16551)
    parser.add_argument(
        '--config', default=osp.join(REPO_ROOT, 'configs', 'fcos_voc_224.py'))
    parser.add_argument(
        '--workers', type=non_negative_int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--batches', type=positive_int, default=20)
    args = parser.parse_args()
    if not osp.isdir(osp.join(args.sample, 'Annotations')):
        parser.error(f'--sample {args.sample}: no Annotations/ folder there '
                     '(a VOC year folder such as data/VOCdevkit/VOC2007)')
    enable_compat()
    init_default_scope('mmdet')
    print(describe_machine())
    from mmdet.registry import DATASETS
    from mmengine.runner import Runner
    tmp = tempfile.mkdtemp(prefix='lodaa-bench-')
    os.environ['LODAA_CACHE_DIR'] = osp.join(tmp, 'cache')
    try:
        made = {}
        seconds = timed(lambda: made.update(
            root=copy_voc_sample(args.sample, tmp, args.num)))
        data_root = made['root']
        print(f'generated {args.num} annotation files in {seconds:.1f} s')
        cfg = read_config(args.config)
        ds_cfg = cfg.train_dataloader.dataset
        ds_cfg.update(
            data_root=data_root,
            ann_file='VOC2007/ImageSets/Main/trainval.txt',
            show_stats=False)
        for label in ('first build (parses every file)',
                      'second build (annotation cache)'):
            built = []
            seconds = timed(lambda: built.append(DATASETS.build(ds_cfg)))
            print(f'{label}: {seconds:.2f} s for {len(built[0])} images')
        for workers in args.workers:
            loader_cfg = cfg.train_dataloader.copy()
            loader_cfg.update(
                num_workers=workers,
                persistent_workers=workers > 0,
                dataset=ds_cfg)
            loader = Runner.build_dataloader(loader_cfg, seed=0)
            it = iter(loader)
            next(it)  # workers start
            sizes = []
            seconds = timed(lambda: sizes.extend(
                len(next(it)['inputs']) for _ in range(args.batches)))
            rate = sum(sizes) / seconds
            print(f'loader, {workers} worker(s), batch '
                  f'{loader_cfg.batch_size}: {rate:.1f} img/s' +
                  (f' ({rate / workers:.1f} per worker)'
                   if workers else ' (in the main process)'))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
