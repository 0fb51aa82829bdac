"""The extension point for the ISV's own code.

``app_event`` is sent once per processed data-callback event (enter_agent, subscribe,
unsubscribe, text messages) and for system events the portal has no handler of its own for::

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
