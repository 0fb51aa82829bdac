"""The per-suite licence policy at work: activate on sign-in or subscribe, pass a leaver's account
on, remind before expiry and renew within a corp's budget (LicensePolicy says which)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from callbacks.signals import app_event
from corps.models import AuthorizedCorp, Member
from corps.selectors import member_by_any_id
from licenses.models import (
    ActiveCode,
    CorpLicense,
    LicenseOrder,
    LicensePolicy,
    UnlicensedAttempt,
)
from licenses.services import (
    code_pick,
    codes_renew,
    corp_license_sync,
    license_required,
    license_transfer,
    member_activate,
    member_license,
    order_cancel,
    order_pay_from_balance,
    unlicensed_record,
    valid_codes,
)
from wecom.client import WeComError

log = logging.getLogger(__name__)
BUDGET_PERIOD = timedelta(days=365)


def policy_of(corp: AuthorizedCorp) -> LicensePolicy:
    """The suite's policy; a suite nobody configured has the defaults (nothing automatic)."""
    policy = LicensePolicy.objects.filter(suite_id=corp.suite_id).first()
    return policy or LicensePolicy(suite_id=corp.suite_id)


def member_admit(member: Member, *, on_sign_in: bool = True) -> bool:
    """May the member use the app now? Activates an available account first where the suite's
    policy says so; a refusal is recorded (the dashboard counts them)."""
    corp = member.corp
    if not hasattr(corp, "license"):  # loaded once here; license_required reads it again
        corp.license = _first_sync(corp)
    if not license_required(member):
        return True
    policy = policy_of(corp)
    if on_sign_in and policy.activate_on_sign_in and _activate(member):
        return True
    unlicensed_record(corp, member.open_userid)
    return False


def _first_sync(corp: AuthorizedCorp) -> CorpLicense | None:
    """An install never synced yet: learn its trial now. If WeCom cannot say, the member is let
    in (the daily sync will tell)."""
    try:
        return corp_license_sync(corp)
    except WeComError as error:
        log.warning("licence state unknown", extra={"corpid": corp.corpid, "error": str(error)})
        return None


def _activate(member: Member) -> bool:
    if code_pick(member.corp) is None:
        log.warning("no licence to activate", extra={"corpid": member.corp.corpid})
        return False
    try:
        member_activate(member=member)
    except WeComError as error:  # WeCom refused (a 701xxx); the member stays unlicensed
        log.warning("licence activation refused", extra={"corpid": member.corp.corpid,
                                                         "error": str(error)})  # fmt: skip
        return False
    return True


def on_subscribe(corp: AuthorizedCorp, userid: str) -> None:
    """The app became visible to a member: activate if the policy says so and they need it."""
    if not policy_of(corp).activate_on_subscribe:
        return
    member = member_by_any_id(corp, userid)
    if member is not None and member_license(member) is None:
        _activate(member)


def on_leave(corp: AuthorizedCorp, open_userid: str, userid: str) -> ActiveCode | None:
    """A member left: with the policy on, their valid accounts go to the latest member refused
    for want of a licence; otherwise WeCom keeps them pending transfer."""
    if not policy_of(corp).transfer_on_leave:
        return None
    held = valid_codes(corp.corpid).filter(open_userid__in=[i for i in (open_userid, userid) if i])
    if not held.exists():
        return None
    successor = _successor(corp)
    if successor is None:
        log.info("leaver's licence awaits a successor", extra={"corpid": corp.corpid})
        return None
    try:
        moved = license_transfer(corp=corp, handover=userid or open_userid, takeover=successor)
    except WeComError as error:
        log.warning("licence transfer refused", extra={"corpid": corp.corpid, "error": str(error)})
        return None
    return moved[0] if moved else None


def _successor(corp: AuthorizedCorp) -> Member | None:
    attempts = UnlicensedAttempt.objects.filter(corp=corp, member__isnull=False).order_by("-at")
    for attempt in attempts.select_related("member")[:50]:
        member = attempt.member
        if member is not None and member.status == 1 and license_required(member):
            return member
    return None


# --- reminders and renewal --------------------------------------------------------------------


@dataclass(frozen=True)
class LicensesExpiring:
    """Sent with ``app_event`` (record None) when a corp's accounts near their end."""

    kind: str
    corpid: str
    codes: tuple[str, ...]
    first_expiry: str


def corp_watch(corp: AuthorizedCorp) -> LicenseOrder | None:
    """Remind once per code inside the policy's window; renew if the policy and budget allow."""
    policy = policy_of(corp)
    now = timezone.now()
    window = valid_codes(corp.corpid, now).filter(
        expires_at__lte=now + timedelta(days=policy.remind_days)
    )
    fresh = list(window.filter(reminded_at__isnull=True).order_by("expires_at"))
    if fresh:
        log.warning("licences expire soon", extra={"corpid": corp.corpid, "codes": len(fresh)})
        first = fresh[0].expires_at or now
        codes = tuple(c.code for c in fresh)
        event = LicensesExpiring(
            kind="license.expiring", corpid=corp.corpid, codes=codes, first_expiry=first.isoformat()
        )
        app_event.send(sender=LicensePolicy, event=event, corp=corp, record=None)
        ActiveCode.objects.filter(pk__in=[c.pk for c in fresh]).update(reminded_at=now)
    if policy.auto_renew and policy.buyer_userid and window.exists():
        return _renew(corp, policy, list(window))
    return None


def _renew(
    corp: AuthorizedCorp, policy: LicensePolicy, codes: list[ActiveCode]
) -> LicenseOrder | None:
    state = CorpLicense.objects.filter(corp=corp).first()
    if state is None or not state.renew_budget:
        return None
    recent = LicenseOrder.objects.filter(
        corpid=corp.corpid, auto_renewal=True, ordered_at__gte=timezone.now() - timedelta(days=1)
    ).exclude(status=LicenseOrder.Status.CANCELLED)
    if recent.exists():  # one renewal a day: WeCom's payment may still be on its way
        return None
    spent = LicenseOrder.objects.filter(
        corpid=corp.corpid, auto_renewal=True, status=LicenseOrder.Status.PAID,
        paid_at__gte=timezone.now() - BUDGET_PERIOD,
    ).aggregate(total=Sum("price"))["total"] or 0  # fmt: skip
    [order] = codes_renew(codes, buyer_userid=policy.buyer_userid, months=policy.renew_months)
    LicenseOrder.objects.filter(pk=order.pk).update(auto_renewal=True)
    if (order.price or 0) + spent > state.renew_budget:
        log.warning("renewal over budget, cancelled", extra={"corpid": corp.corpid})
        return order_cancel(order)
    return order_pay_from_balance(order, policy.buyer_userid)
