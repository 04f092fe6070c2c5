# Your own COCO-JSON dataset: set data_root, classes and the three
# annotation files once, here; they reach the train, val and test loaders
# and the head's num_classes. As shipped it reads the one-class sample
# converted by tools/dataset_converters/voc_to_coco.py into
# work_dirs/cells_coco (docs/user_guides/datasets.md).
#   python tools/train.py configs/custom/fcos_custom_coco.py
_base_ = '../fcos/fcos_regnetx-400mf_fpn-p3p5_1xb16-9k_coco-format-224.py'

data_root = 'work_dirs/cells_coco/'
# the JSON's category names, in increasing id order
classes = ('cellbody', )
train_file = 'annotations/instances_trainval.json'
val_file = 'annotations/instances_test.json'
test_file = 'annotations/instances_test.json'

metainfo = dict(classes=classes)
model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=train_file, metainfo=metainfo))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=val_file, metainfo=metainfo))
test_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=test_file, metainfo=metainfo))
