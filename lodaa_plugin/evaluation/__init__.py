# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .analysis import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
