# A detection dataset in COCO JSON, as CVAT, Label Studio and Roboflow export
# it: images under data_root/images/, annotations/instances_train.json and
# instances_val.json. Classes come from the JSON's categories; set the head's
# num_classes to their number. Scored by mmdet's CocoMetric (COCO AP) and by
# LODAA's VOC metric (VOC07 11-point mAP@0.5), crowd boxes ignored by both.
dataset_type = 'LodaaCocoDataset'
data_root = 'data/coco_format/'
backend_args = None

train_pipeline = [
    dict(type='LodaaLoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomResize', scale=[(1000, 480), (1000, 600)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LodaaLoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        # 'instances': CocoMetric reads the ground truth from the samples
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# ann_file=None: CocoMetric takes the ground truth from the dataset, so a
# data_root or ann_file set on the command line is scored as loaded. Given
# an ann_file, LodaaCocoMetric matches its categories to the classes by name
# as the dataset does (mmdet's CocoMetric takes the file's order)
val_evaluator = [
    dict(
        type='LodaaCocoMetric',
        ann_file=None,
        metric='bbox',
        format_only=False),
    dict(type='LodaaVOCMetric', metric='mAP', eval_mode='11points'),
]
test_evaluator = val_evaluator
