# PASCAL VOC 2007 multi-label classification: train on trainval, test on
# test; mAP with difficult-only labels ignored, plus per-class AP and
# precision / recall / F1 at threshold 0.5.
dataset_type = 'LodaaVOCClsDataset'
data_root = 'data/VOCdevkit/VOC2007'
num_classes = 20
image_size = 224
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape',
             'scale_factor', 'flip', 'flip_direction', 'gt_label_difficult')

data_preprocessor = dict(
    num_classes=num_classes,
    # torchvision's ImageNet normalisation, in 0-255 RGB
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    to_onehot=True)

train_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=image_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='ResizeEdge', scale=image_size * 8 // 7, edge='short'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='trainval',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# difficult_as_positive=None: difficult-only labels are ignored
val_evaluator = [
    # multi-label/mAP: mean AP of the classes with a positive image (the one
    # definition LODAA reports), with the per-class table
    dict(type='LodaaPerClassAP'),
    dict(type='VOCMultiLabelMetric', thr=0.5, average='macro'),
    dict(type='VOCMultiLabelMetric', thr=0.5, average='micro'),
]
test_evaluator = val_evaluator
