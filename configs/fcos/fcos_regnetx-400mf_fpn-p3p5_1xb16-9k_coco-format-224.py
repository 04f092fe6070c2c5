# fcos_voc_224's recipe (224x224, P3-P5, 9000 iterations of batch 16) on a
# COCO-JSON dataset (layout and metrics as
# configs/_base_/datasets/coco_format_detection.py). Set the head's
# num_classes to the number of the JSON's categories:
#   python tools/train.py \
#       configs/fcos/fcos_regnetx-400mf_fpn-p3p5_1xb16-9k_coco-format-224.py \
#       --cfg-options model.bbox_head.num_classes=3 \
#       train_dataloader.dataset.data_root=/data/mine/ \
#       val_dataloader.dataset.data_root=/data/mine/
_base_ = './fcos_regnetx-400mf_fpn-p3p5_1xb16-9k_voc0712-224.py'

data_root = 'data/coco_format/'
test_pipeline = [
    dict(type='LodaaLoadImageFromFile'),
    dict(type='Resize', scale={{_base_.image_size}}, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        # 'instances': CocoMetric reads the ground truth from the samples
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'instances'))
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LodaaCocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=0),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LodaaCocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# ann_file=None: CocoMetric takes the ground truth from the dataset
val_evaluator = [
    dict(type='LodaaCocoMetric', ann_file=None, metric='bbox'),
    dict(type='LodaaVOCMetric', metric='mAP', eval_mode='11points'),
]
test_evaluator = val_evaluator
