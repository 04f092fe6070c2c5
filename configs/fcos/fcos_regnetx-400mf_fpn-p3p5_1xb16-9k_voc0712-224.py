# The course recipe: 224x224 inputs, FPN P3-P5 only, 128-channel FPN and
# towers, SGD lr 8e-3, batch 16, 9000 iterations. The quick one for a single
# GPU or a CPU.
_base_ = './fcos_regnetx-400mf_fpn_8xb2-1x_voc0712.py'

image_size = (224, 224)
model = dict(
    neck=dict(out_channels=128, num_outs=3, add_extra_convs=False),
    bbox_head=dict(
        in_channels=128,
        feat_channels=128,
        strides=[8, 16, 32],
        regress_ranges=((-1, 64), (64, 128), (128, 1e8))))

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
    batch_size=16,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 9000
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=3000)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0 / 3,
        by_epoch=False,
        begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[int(max_iters * 0.6),
                    int(max_iters * 0.9)],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=8e-3))
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=1000), logger=dict(interval=50))
log_processor = dict(by_epoch=False)
