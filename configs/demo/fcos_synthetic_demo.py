# `make demo`: FCOS on LODAA's embedded synthetic VOC-layout dataset
# (tools/make_synthetic_voc.py), trained on a CPU in minutes.
# The backbone starts from RANDOM weights here (the demo runs offline), so
# BatchNorm trains and no stage is frozen; the recipe is fcos_voc_224's.
_base_ = '../fcos/fcos_regnetx-400mf_fpn-p3p5_1xb16-9k_voc0712-224.py'

data_root = 'work_dirs/demo/data/VOCdevkit/'
image_size = (128, 128)
num_classes = 5  # read from VOC2007/classes.txt by the dataset

# a lighter neck and head than the 224 recipe: the CPU budget is minutes
model = dict(
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),
    neck=dict(out_channels=64),
    bbox_head=dict(
        num_classes=num_classes,
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True)))

train_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        filter_cfg=dict(filter_empty_gt=True, min_size=0),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/test.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 1200
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
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    logger=dict(interval=20))
work_dir = 'work_dirs/demo'
# a fixed seed: the same data order, flips and initial weights on every run
# (fp32 and bf16 demos compare at the same seed)
randomness = dict(seed=0)
