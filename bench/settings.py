"""The portal's settings plus one bare view, for bench/callbacks.py."""

from isvportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
