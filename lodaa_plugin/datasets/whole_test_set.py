# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Test-time data is used whole, or the run stops and names what is wrong."""
from typing import Any

from .transforms import ImageLoadError


class WholeTestSetMixin:
    """Raise, naming the image, when the pipeline drops a test image.

    ``skip_invalid=True`` lets training draw another image instead of a
    broken one; at test time that would compute the metric on fewer images
    than the split lists, so mmengine would stop with "Test time pipline
    should not get None". This says which image and why.
    """

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on image ``idx``; a dropped test image is an
        error.

        Args:
            idx (int): The image's index.

        Returns:
            Any: What the pipeline returns.
        """
        data = super().prepare_data(idx)
        if data is None and self.test_mode:
            info = self.get_data_info(idx)
            raise ImageLoadError(
                f'{info.get("img_path")}: unusable, and a test set is used '
                'whole (skip_invalid skips training images only: leaving '
                'test images out would change the metric). Fix the file or '
                'remove it from the split (the log above says what is '
                'wrong with it).')
        return data
