# Sliced inference's benchmark (docs/user_guides/sliced_inference.md): the
# demo's FCOS trained on 128 x 128 tiles with small objects (8-40 px), and
# tested on 1024 x 1024 images with objects of the same sizes, either whole
# (resized to 128, as this test pipeline does) or in 128-pixel tiles
# (tools/test.py --slice 128). Both sets come from tools/make_synthetic_voc.py
# (commands in the docs page); the network starts from RANDOM weights.
_base_ = './fcos_synthetic_demo.py'

tiles_root = 'work_dirs/small_objects/tiles/VOCdevkit/'
large_root = 'work_dirs/small_objects/large/VOCdevkit/'

train_dataloader = dict(dataset=dict(data_root=tiles_root))
val_dataloader = dict(dataset=dict(data_root=tiles_root))
test_dataloader = dict(batch_size=1, dataset=dict(data_root=large_root))
work_dir = 'work_dirs/small_objects'

# half the demo's 1,200 iterations: the 2-core budget of the benchmark
max_iters = 600
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[int(max_iters * 0.75),
                    int(max_iters * 0.9)],
        gamma=0.1)
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
