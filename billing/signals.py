"""``edition_changed`` is sent when a corp's edition, app status, seat limit or end time changes
(after change_editon, a payment or a refund)::

    @receiver(edition_changed)
    def on_edition(sender, corp, before, after, **kwargs):
        ...  # before / after: the /api/v1/corp/ "edition" objects
"""

from django.dispatch import Signal

edition_changed = Signal()
