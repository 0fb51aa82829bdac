"""The test suite's settings: the project's own, with DEBUG on (it defaults to off) so the
development defaults apply (no HTTPS redirect, a development secret key). Django still runs
each test with DEBUG off."""

import os

os.environ.setdefault("DEBUG", "1")

from isvportal.settings import *  # noqa: F403

HEALTHZ_CACHE_SECONDS = 0  # each test sees the state it set up; test_health covers the cache
