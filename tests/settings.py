"""The test suite's settings: the project's own, with DEBUG on (it defaults to off) so the
development defaults apply (no HTTPS redirect, a development secret key). Django still runs
each test with DEBUG off."""

import os

os.environ.setdefault("DEBUG", "1")

from isvportal.settings import *  # noqa: F403
