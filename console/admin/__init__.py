"""Every model in the console. Registration happens on import (see console.apps)."""

from console.admin import accounts, credentials, events, tenants, users  # noqa: F401
