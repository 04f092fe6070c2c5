# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .dense_heads import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
