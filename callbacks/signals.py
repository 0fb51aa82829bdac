"""The extension point for the ISV's own code.

``app_event`` is sent once per processed event that is the ISV's business: data-callback events
(enter_agent, subscribe, unsubscribe, text messages, unlicensed_notify), tag changes, licence
events, the platform events of ``wecom.platform_events`` (share changes, batch job results,
special permissions, the external_userid migration) and any type WeCom sends that this portal
does not know (an ``UnknownEvent`` carrying every field). The portal's own ``license.expiring``
(``licenses.policies.LicensesExpiring``) comes with ``record=None``::

    from django.dispatch import receiver
    from callbacks.signals import app_event

    @receiver(app_event)
    def greet(sender, event, corp, record, **kwargs):
        ...  # event: a wecom.events object; corp: the AuthorizedCorp or None; record: the row

It runs inside the worker, after the event is stored and before it is marked processed; an
exception makes the event fail and be retried, so receivers should be idempotent.
"""

from django.dispatch import Signal

app_event = Signal()

# Every event once its handler has run (whatever its type), with the parsed ``event`` and the
# stored ``record``: the webhooks publish it. Same rules as app_event: inside the worker, before
# the event is marked processed; a receiver's exception makes the event fail and be retried.
event_processed = Signal()
