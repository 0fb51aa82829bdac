"""Every model in the console. Registration happens on import (see console.apps)."""

from console.admin import (  # noqa: F401
    accounts,
    billing,
    credentials,
    events,
    licenses,
    register_codes,
    tenants,
    users,
    webhooks,
)
