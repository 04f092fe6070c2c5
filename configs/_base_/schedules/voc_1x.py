# FCOS's 1x schedule adapted to VOC07+12 (16,551 images, about 1/7 of COCO):
# 12 epochs, steps at 8 and 11, batch 16 (8 GPUs x 2) at lr 0.01.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1.0 / 3,
        by_epoch=False,
        begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[8, 11],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    # FCOS: doubled learning rate and no weight decay for biases
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))

# Scales the lr linearly when the real batch differs (--auto-scale-lr).
auto_scale_lr = dict(enable=False, base_batch_size=16)
