# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A tiny mmengine Runner job used by the tests (also under torchrun).

    python -m lodaa_testing.toy_runner WORK_DIR MAX_EPOCHS \
        [--resume] [--launcher pytorch] [--skip-nan] [--by-iter] \
        [--workers N]

Environment: TOY_SLEEP (seconds per step), TOY_NAN_AT (iteration whose loss
is NaN), TOY_NAN_FROM (every loss NaN from this iteration on), TOY_LR (the
learning rate, 0.05 unless set), TOY_DIE_RANK / TOY_DIE_AT (that rank exits
at that iteration).
"""
import argparse
import os
import time

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import lodaa_plugin  # noqa: F401  (registers the hooks)
from lodaa_plugin.compat import enable_compat, prepare_distributed
from lodaa_plugin.utils.model_wrapper import unwrap_model


class ToyModel(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, inputs, targets, mode='tensor'):
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        targets = torch.stack(targets) if isinstance(targets,
                                                     list) else targets
        out = self.linear(inputs).squeeze(-1)
        if mode == 'loss':
            self.steps = getattr(self, 'steps', 0) + 1
            time.sleep(float(os.environ.get('TOY_SLEEP', 0)))
            if self.steps == int(os.environ.get('TOY_DIE_AT', -1)) and \
                    os.environ.get('RANK') == os.environ.get('TOY_DIE_RANK'):
                os._exit(3)
            loss = ((out - targets)**2).mean()
            nan_from = int(os.environ.get('TOY_NAN_FROM', 0)) or None
            if self.steps == int(os.environ.get(
                    'TOY_NAN_AT', -1)) or (nan_from
                                           and self.steps >= nan_from):
                loss = loss * float('nan')
            return dict(loss=loss)
        return out


class ToyData(Dataset):

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(32, 4, generator=gen)
        self.y = self.x @ torch.tensor([1., -2., 3., 0.5])

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], targets=self.y[i])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('work_dir')
    parser.add_argument('max_epochs', type=int)
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--launcher', default='none')
    parser.add_argument('--skip-nan', action='store_true')
    parser.add_argument(
        '--by-iter',
        action='store_true',
        help='MAX_EPOCHS counts iterations (an iteration-based loop)')
    parser.add_argument(
        '--workers', type=int, default=0, help='DataLoader workers')
    args = parser.parse_args()
    enable_compat()
    torch.manual_seed(0)  # the model is built before the Runner seeds
    dist = dict(
        launcher=args.launcher, env_cfg=dict(dist_cfg=dict(backend='nccl')))
    prepare_distributed(dist)
    runner = Runner(
        model=ToyModel(),
        work_dir=args.work_dir,
        train_dataloader=dict(
            dataset=ToyData(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate'),
            batch_size=4,
            num_workers=args.workers,
            persistent_workers=args.workers > 0),
        optim_wrapper=dict(
            optimizer=dict(
                type='SGD', lr=float(os.environ.get('TOY_LR', 0.05)))),
        train_cfg=dict(by_epoch=False, max_iters=args.max_epochs)
        if args.by_iter else dict(by_epoch=True, max_epochs=args.max_epochs),
        default_hooks=dict(
            checkpoint=dict(
                type='AtomicCheckpointHook',
                interval=1000 if args.by_iter else 1,
                by_epoch=not args.by_iter),
            logger=dict(type='LoggerHook', interval=2)),
        custom_hooks=[
            dict(type='NonFiniteLossHook', skip=args.skip_nan),
            dict(type='PreemptionHook')
        ],
        randomness=dict(seed=0, deterministic=True),
        resume=args.resume,
        launcher=dist['launcher'],
        env_cfg=dist['env_cfg'],
        # the Runner reads model_wrapper_cfg from its cfg only
        cfg=dict(model_wrapper_cfg=dist['model_wrapper_cfg'])
        if 'model_wrapper_cfg' in dist else None)
    runner.train()
    model = unwrap_model(runner.model)
    final = f'{model.linear.weight.flatten().tolist()} ' \
        f'{model.linear.bias.item()}'
    print('FINAL_WEIGHTS', final)
    # per rank in a file too: two ranks' prints can interleave in one pipe
    rank = os.environ.get('RANK', '0')
    with open(
            os.path.join(args.work_dir, f'final_weights_rank{rank}.txt'),
            'w') as f:
        f.write(final)


if __name__ == '__main__':
    main()
