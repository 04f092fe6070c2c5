# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Importing LODAA only registers modules (and words one torch error);
fixes and hints are opt-in."""
import importlib.util
import subprocess
import textwrap

import pytest

from lodaa_testing import PYTHON, python_env

SCRIPT = textwrap.dedent('''
    import mmcv, torch
    import mmcv.utils.ext_loader as ext_loader
    import mmengine.dist.utils as dist_utils
    from mmengine.fileio.backends.local_backend import LocalBackend
    from mmengine.model.wrappers import MMDistributedDataParallel
    from mmengine.registry import Registry
    from mmengine.runner.checkpoint import CheckpointLoader

    def state():
        return dict(
            build=Registry.build, put=LocalBackend.put,
            put_text=LocalBackend.put_text, torch_load=torch.load,
            scheme=CheckpointLoader._schemes[''],
            url_scheme=CheckpointLoader._schemes['torchvision://'],
            init_dist=dist_utils._init_dist_pytorch,
            ddp_init=MMDistributedDataParallel.__init__,
            adjust_hue=mmcv.adjust_hue, load_ext=ext_loader.load_ext)

    def changed(before):
        now = state()
        return sorted(k for k in before if now[k] is not before[k])

    before = state()
    import lodaa_plugin
    import lodaa_plugin.apis, lodaa_plugin.compat, lodaa_plugin.datasets
    import lodaa_plugin.engine, lodaa_plugin.evaluation, lodaa_plugin.models
    import lodaa_testing, lodaa_plugin.utils
    import lodaa_plugin.visualization
    from mmdet.registry import MODELS
    assert MODELS.get('FCOSRegCenternessHead') is not None
    print('after import:', changed(before))
    # the one change: the local scheme wraps mmengine's, to advise
    print('advice only:', CheckpointLoader._schemes['']._lodaa_advice)
    import lodaa_plugin.compat.enable
    print('after compat.enable:', changed(before))
    from lodaa_plugin.compat import enable_compat
    print('enable again:', enable_compat())
    import lodaa_plugin.utils.enable_hints
    print('after enable_hints:', changed(before))
''')

# without compiled mmcv ops, import lodaa_plugin answers mmcv's kernel loader
# (tests/test_compat/test_kernels.py); with them it leaves it alone
KERNELS = [] if importlib.util.find_spec('mmcv._ext') else ['load_ext']


def _names(*names: str) -> str:
    return repr(sorted(list(names) + KERNELS))


@pytest.mark.slow
def test_import_patches_nothing_and_opt_ins_patch_what_they_name():
    """Besides the checkpoint advice (tests/test_tools/
    test_other_launchers.py) and the kernel loader of an mmcv without
    compiled ops, importing LODAA patches nothing."""
    result = subprocess.run([PYTHON, '-c', SCRIPT],
                            env=python_env(),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout.splitlines()
    assert f"after import: {_names('scheme')}" in out
    assert 'advice only: True' in out
    assert ('after compat.enable: ' + _names(
        'adjust_hue', 'ddp_init', 'init_dist', 'scheme', 'url_scheme')) in out
    assert 'enable again: []' in out
    assert ('after enable_hints: ' +
            _names('adjust_hue', 'build', 'ddp_init', 'init_dist', 'scheme',
                   'url_scheme')) in out
    # the fixes say which they are and why, once
    log = result.stdout + result.stderr
    assert log.count('LODAA compatibility fixes enabled') == 1
    assert 'patch_checkpoint_loading: torch>=2.6' in log
