# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A hook that records each rank's final weights, for the multi-node tests.

Imported by the test configs that list it (``custom_imports``).
"""
import hashlib
import os
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from lodaa_plugin.utils.model_wrapper import unwrap_model


@HOOKS.register_module()
class WeightsDigestHook(Hook):
    """After training, write ``weights_digest_rank{RANK}.txt`` to the work
    dir: the SHA-256 of every parameter and buffer of this rank's model."""

    def after_train(self, runner) -> None:
        """Write this rank's digest.

        Args:
            runner (Runner): The runner.
        """
        model = unwrap_model(runner.model)
        digest = hashlib.sha256()
        for name, tensor in sorted(model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        path = osp.join(runner.work_dir,
                        f'weights_digest_rank{get_rank()}.txt')
        with open(path, 'w') as f:
            f.write(f'{digest.hexdigest()} world_size='
                    f'{os.environ.get("WORLD_SIZE", "1")}\n')
