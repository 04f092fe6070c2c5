# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""Packaging beyond setup.cfg: the configs travel inside the wheel.

As mmdet does, ``configs/`` is copied into the built package as
``lodaa_plugin/.mim/configs``, so that an installed LODAA (not a checkout)
still has them: ``lodaa_plugin.utils.configs_dir()`` says where.
"""
import os
import shutil
from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithConfigs(build_py):
    """``build_py`` that adds ``configs/`` as ``lodaa_plugin/.mim/configs``."""

    def run(self) -> None:
        super().run()
        target = os.path.join(self.build_lib, 'lodaa_plugin', '.mim',
                              'configs')
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(
            'configs',
            target,
            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(cmdclass={'build_py': BuildPyWithConfigs})
