# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
from .assigners import *  # noqa: F401,F403
