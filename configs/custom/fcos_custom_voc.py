# Your own VOC-layout dataset: set data_root, classes and the three lists
# once, here; they reach the train, val and test loaders and the head's
# num_classes. As shipped it reads the 4-image one-class sample in the
# checkout, so the commands of docs/user_guides/datasets.md run as they are.
#   python tools/train.py configs/custom/fcos_custom_voc.py
_base_ = '../fcos_voc_224.py'

data_root = 'tests/data/cells_voc/VOCdevkit/'
classes = ('cellbody', )
train_list = 'VOC2007/ImageSets/Main/trainval.txt'
val_list = 'VOC2007/ImageSets/Main/test.txt'
test_list = 'VOC2007/ImageSets/Main/test.txt'

metainfo = dict(classes=classes)
model = dict(bbox_head=dict(num_classes=len(classes)))
train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=train_list, metainfo=metainfo))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=val_list, metainfo=metainfo))
test_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file=test_list, metainfo=metainfo))
