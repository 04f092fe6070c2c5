# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Train LODAA's FCOS, mmdet's stock FCOSHead and torchvision's FCOS at the
same data, model size, budget and seeds; compare their accuracy.

    python tools/analysis/compare_detectors.py \
        configs/demo/fcos_synthetic_demo.py --synthetic --seeds 0 1 2 \
        --out-dir work_dirs/compare
    python tools/analysis/compare_detectors.py configs/fcos_voc_224.py \
        --data data/VOCdevkit/ --iters 9000 --seeds 0 1 2 --rows all

Each run is ``tools/train.py`` on a config derived from CONFIG (written to
``OUT/ROW/seed_S/config.py``) that changes only the detector. Writes
``compare.json``, ``compare.md`` (mean ± std over seeds, LODAA's lead
paired by seed, and LODAA − row with its 95% interval over test images and
seeds, a verdict and how many seeds would resolve it) and
``pr_curves.png`` (the main rows, first seed). Each run
keeps its ``result.json``: calling the same command again after an
interruption trains only the runs that had not finished (with the same
config and the same model code).
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List

from mmengine.config import DictAction

from lodaa_plugin.compat import enable_compat
from lodaa_plugin.utils.atomic_write import atomic_write_bytes
from lodaa_plugin.utils.builders import build_dataset
from lodaa_plugin.utils.cli_args import positive_int
from lodaa_plugin.utils.config_edits import set_max_iters
from lodaa_plugin.utils.config_loading import read_config
from lodaa_plugin.visualization import plot_pr_curves

# the harness and the synthetic data live in the checkout (projects/)
CHECKOUT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, CHECKOUT)
from projects.benchmarks import detector_comparison as comparison
from projects.benchmarks.timing import describe_machine
from projects.synthetic_voc import ensure_synthetic_voc

TRAIN = osp.join(CHECKOUT, 'tools', 'train.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='LODAA FCOS vs mmdet FCOSHead vs torchvision FCOS')
    parser.add_argument('config', help="LODAA detection config")
    parser.add_argument(
        '--data', help='a VOCdevkit/ folder (default: the config\'s)')
    parser.add_argument(
        '--synthetic',
        action='store_true',
        help="use the demo's synthetic dataset (generated under OUT/data)")
    parser.add_argument(
        '--iters',
        type=positive_int,
        help='training iterations (default: config)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument(
        '--rows',
        nargs='+',
        default=list(comparison.MAIN_ROWS),
        help=f'rows to train, or "all": {", ".join(comparison.ROWS)}')
    parser.add_argument('--out-dir', default='work_dirs/compare')
    parser.add_argument(
        '--jobs',
        type=positive_int,
        default=1,
        help='trainings at once, the CPU cores shared between them '
        '(docs/benchmarks.md: how much sooner they finish)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def _start(config: str, work_dir: str, threads: int) -> subprocess.Popen:
    """Start one ``tools/train.py`` run in the background, its output to
    ``WORK_DIR/train_output.log``."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    # the derived configs import the harness's hook and detector
    env['PYTHONPATH'] = os.pathsep.join(
        filter(None, [CHECKOUT, env.get('PYTHONPATH')]))
    env['MKL_NUM_THREADS'] = str(threads)
    out = open(osp.join(work_dir, 'train_output.log'), 'w')
    proc = subprocess.Popen(
        [sys.executable, TRAIN, config, '--work-dir', work_dir],
        stdout=out,
        stderr=subprocess.STDOUT,
        env=env)
    out.close()
    return proc


def _train_all(pending: List[dict], jobs: int) -> None:
    """Train every pending run, ``jobs`` at a time, and record each one's
    wall time in its ``seconds``; stop the others at the first failure."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    queue, running = list(pending), []
    try:
        while queue or running:
            while queue and len(running) < jobs:
                job = queue.pop(0)
                print(f'[compare] {job["row"]}, seed {job["seed"]}: training '
                      f'({job["work_dir"]}, {threads} threads)')
                job['started'] = time.time()
                running.append(
                    (job, _start(job['config'], job['work_dir'], threads)))
            time.sleep(1)
            for job, proc in list(running):
                code = proc.poll()
                if code is None:
                    continue
                running.remove((job, proc))
                if code:
                    log = osp.join(job['work_dir'], 'train_output.log')
                    with open(log) as f:
                        tail = f.read()[-3000:]
                    raise RuntimeError(
                        f'training failed ({code}): {job["config"]}\n{tail}')
                job['seconds'] = time.time() - job['started']
                job['finish'](job)
    finally:
        for _, proc in running:
            proc.terminate()
            proc.wait()


def atomic_write_json(path: str, value: dict) -> None:
    atomic_write_bytes(json.dumps(value).encode(), path)


def _report(run: dict) -> None:
    print(f'[compare] {run["row"]}, seed {run["seed"]}: VOC07 mAP '
          f'{run["mAP_11points"]:.3f}, area {run["mAP_area"]:.3f}, COCO AP '
          f'{run["coco_AP"]:.3f} ({run["train_seconds"]:.0f} s)')


def main() -> None:
    args = parse_args()
    enable_compat()
    rows = list(comparison.ROWS) if args.rows == ['all'] else args.rows
    unknown = set(rows) - set(comparison.ROWS)
    if unknown:
        raise SystemExit(f'unknown rows {sorted(unknown)}; choose from '
                         f'{", ".join(comparison.ROWS)} or all')
    cfg = read_config(args.config, args.cfg_options)
    os.makedirs(args.out_dir, exist_ok=True)
    data_root = args.data
    if args.synthetic:
        data_root = ensure_synthetic_voc(osp.join(args.out_dir, 'data'))
    if data_root:
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            cfg[loader].dataset.data_root = data_root
    root = cfg.train_dataloader.dataset.data_root
    if not osp.isdir(root):
        raise SystemExit(f'no dataset at {root}: pass --data DIR (a '
                         'VOCdevkit/ folder) or --synthetic')
    if args.iters:
        set_max_iters(cfg, args.iters)
    cfg.test_dataloader = cfg.val_dataloader
    test_set = build_dataset(cfg, 'val')
    machine = describe_machine()
    print(machine)

    code = comparison.model_code_digest().encode()
    runs, work_dirs, pending = {}, [], []

    def finish(job: dict) -> None:
        # score as soon as a run ends, so that an interruption keeps it
        values = comparison.evaluate_predictions(
            osp.join(job['work_dir'], 'predictions.pkl'), test_set)
        run = dict(
            row=job['row'],
            seed=job['seed'],
            train_seconds=round(job['seconds'], 1),
            config_sha256=job['config_sha256'],
            jobs=max(1, args.jobs),
            **values)
        atomic_write_json(osp.join(job['work_dir'], 'result.json'), run)
        runs[(job['row'], job['seed'])] = run
        _report(run)

    for seed in args.seeds:
        start = comparison.save_starting_backbone(
            cfg, seed, osp.join(args.out_dir, f'backbone_seed{seed}.pth'))
        for row in rows:
            work_dir = osp.abspath(osp.join(args.out_dir, row, f'seed_{seed}'))
            os.makedirs(work_dir, exist_ok=True)
            preds = osp.join(work_dir, 'predictions.pkl')
            row_cfg = comparison.row_config(cfg, row, osp.abspath(start),
                                            preds)
            row_cfg.randomness = dict(seed=seed, deterministic=False)
            config_file = osp.join(work_dir, 'config.py')
            row_cfg.dump(config_file)
            with open(config_file, 'rb') as f:
                # the same config trained by other model code is another run
                config_hash = hashlib.sha256(f.read() + code).hexdigest()
            result_file = osp.join(work_dir, 'result.json')
            run = None
            if osp.isfile(result_file):
                run = comparison.read_result(result_file)
                if run.get('config_sha256') != config_hash:
                    run = None  # another setting: train again
            if run is not None:  # finished by an earlier call
                print(f'[compare] {row}, seed {seed}: done before, '
                      f'{result_file}')
                _report(run)
            else:
                pending.append(
                    dict(
                        row=row,
                        seed=seed,
                        config=config_file,
                        work_dir=work_dir,
                        config_sha256=config_hash,
                        finish=finish))
            runs[(row, seed)] = run
            work_dirs.append(work_dir)
    _train_all(pending, max(1, args.jobs))
    runs = [runs[(row, seed)] for seed in args.seeds for row in rows]

    records = comparison.run_records(work_dirs)
    for run, record in zip(runs, records):
        run['record'] = record
    # every run's matching, for LODAA − row paired by seed and test image
    sources = {
        (run['row'], run['seed']):
        comparison.prediction_sources(
            osp.join(work_dir, 'predictions.pkl'), test_set)
        for run, work_dir in zip(runs, work_dirs)
    }
    paired = comparison.paired_rows(sources, rows, len(test_set))
    for entry in paired.values():
        print(f'[compare] {entry["text"]}')
    table = comparison.summarise(runs, rows, paired)
    markdown = comparison.markdown_table(table)
    setup = (f'{args.config}, data {root}, {cfg.train_cfg.max_iters} '
             f'iterations, batch {cfg.train_dataloader.batch_size}, seeds '
             f'{" ".join(map(str, args.seeds))}; test set of '
             f'{len(test_set)} images')
    with open(osp.join(args.out_dir, 'compare.json'), 'w') as f:
        json.dump(
            dict(setup=setup, machine=machine, table=table, runs=runs),
            f,
            indent=1)
    with open(osp.join(args.out_dir, 'compare.md'), 'w') as f:
        f.write(f'{setup}\n\n{machine}\n\n{markdown}\n')
    first = args.seeds[0]
    curves = {
        f'{comparison.ROWS[r["row"]][0]} (area mAP {r["mAP_area"]:.3f})':
        (r['pr_recall'], r['pr_precision'])
        for r in runs
        if r['seed'] == first and r['row'] in comparison.MAIN_ROWS
    }
    png = plot_pr_curves(
        curves, osp.join(args.out_dir, 'pr_curves.png'),
        f'IoU 0.5, seed {first}, {cfg.train_cfg.max_iters} iterations')
    print(markdown)
    print(f'wrote {args.out_dir}/compare.md, compare.json and {png}')


if __name__ == '__main__':
    main()
