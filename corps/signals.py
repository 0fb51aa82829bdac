"""The platform's own events, for whoever relays them (the webhooks): a corp installed or
cancelled an app, a credential raised an alarm. Sent with ``type`` ("corp.installed", …), the
``provider``, the ``suite`` (or None), the ``corpid`` (or ""), ``data`` (JSON-ready) and a ``key``
that names this occurrence, so sending it twice publishes it once."""

from django.dispatch import Signal

platform_event = Signal()
