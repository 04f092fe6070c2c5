# The course's simple CNN (64x64 inputs, 128-d feature) with a linear
# multi-label head for VOC's 20 classes; difficult-only labels ignored.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SimpleCNN', input_size=64),
    head=dict(
        type='DifficultAwareMultiLabelHead',
        num_classes=20,
        in_channels=128,
        difficult='ignore'))
