# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""What LODAA's benchmark and comparison tools measure with: paired timing
and the machine's description, torchvision's FCOS as a twin of a LODAA
config (and as an mmdet detector), the detector comparison, the end-to-end
deployment benchmark and a VOC tree of any size.

Used by ``tools/analysis/``; ``import lodaa_plugin`` does not import it.
"""
