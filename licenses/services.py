"""Licences: sync from WeCom, the summary a corp's page and the API show, buying and activating.

WeCom's licence API is provider-wide (one licence covers every app of the provider), so orders
and codes belong to the provider and a corpid; the trial and the check are per install."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corps.models import AuthorizedCorp, Member, Provider
from corps.selectors import member_by_any_id
from corps.services import from_unix
from isvportal.compiled import CompiledLookup
from licenses.models import (
    AccountType,
    ActiveCode,
    CorpLicense,
    LicenseOrder,
    LicensePolicy,
    UnlicensedAttempt,
)
from tokens.refusals import Refused
from tokens.services import provider_api
from wecom.client import LicenseAccountError
from wecom.client.errors import error_for
from wecom.client.license_models import LicenseAccount, Order

LICENSE_REQUIRED = gettext_lazy(
    "Your corp's trial of this app is over and you have no licence (接口许可) for it. Ask your "
    "admin to contact the app's provider."
)
EXPIRY_WINDOW = timedelta(days=30)
ATTEMPT_GAP = timedelta(hours=1)
MAX_MONTHS = 60  # WeCom's limit: 31 to 1860 days
MAX_COUNT = 1_000_000
CODES_EXIST = {
    LicenseOrder.Status.PAID,
    LicenseOrder.Status.REFUND_REQUESTED,
    LicenseOrder.Status.REFUNDED,
    LicenseOrder.Status.REFUND_REJECTED,
}


def _pages(fetch: Callable[[str], Any]) -> Iterator[Any]:
    """Every page of a cursor-paged call."""
    cursor = ""
    while True:
        page = fetch(cursor)
        yield page
        if not page.has_more or not page.next_cursor:
            return
        cursor = page.next_cursor


# --- sync from WeCom ---------------------------------------------------------------------------


def order_store(provider: Provider, order: Order) -> LicenseOrder:
    """The order as WeCom reports it. WeCom gives no cancel time: the first sync that sees the
    order cancelled records when it was seen."""
    row, _created = LicenseOrder.objects.update_or_create(
        order_id=order.order_id,
        defaults={
            "provider": provider,
            "corpid": order.corpid,
            "kind": order.order_type,
            "status": order.order_status or 0,
            "base_count": order.base_count,
            "interop_count": order.external_contact_count,
            "months": order.months,
            "days": order.days,
            "price": order.price,
            "ordered_at": from_unix(order.create_time),
            "paid_at": from_unix(order.pay_time),
            "synced_at": timezone.now(),
        },
    )
    if row.status == LicenseOrder.Status.CANCELLED and row.cancelled_at is None:
        row.cancelled_at = row.synced_at
        row.save(update_fields=["cancelled_at"])
    return row


STATE_FIELDS = ("corpid", "corp", "member", "type", "status", "open_userid", "created_at",
                "activated_at", "expires_at", "merged_into", "synced_at")  # fmt: skip


def codes_store(
    provider: Provider, corpid: str, infos: Iterable[LicenseAccount], *,
    order: LicenseOrder | None = None, source: str = ActiveCode.Source.ORDER,
) -> list[ActiveCode]:  # fmt: skip
    """Codes as WeCom reports them, in a fixed number of queries for a page of up to 1000: new
    ones remember their order and source; known ones get WeCom's current state."""
    infos = list(infos)
    corp = (
        AuthorizedCorp.objects.filter(suite__provider=provider, corpid=corpid)
        .order_by("pk")
        .first()
    )
    holders = {i.userid for i in infos if i.userid}
    members: dict[str, Member] = {}
    if corp is not None and holders:
        found = Member.objects.filter(corp=corp).filter(
            Q(open_userid__in=holders) | Q(userid__in=holders)
        )
        for m in found:
            members.update({m.open_userid: m, **({m.userid: m} if m.userid else {})})
    existing = {
        c.code: c for c in ActiveCode.objects.filter(code__in=[i.active_code for i in infos])
    }
    now = timezone.now()
    rows: list[ActiveCode] = []
    fresh: list[ActiveCode] = []
    for info in infos:
        row = existing.get(info.active_code) or ActiveCode(
            code=info.active_code, provider=provider, order=order, source=source
        )
        row.corpid, row.corp, row.member = corpid, corp, members.get(info.userid)
        row.type, row.status = info.type, info.status or ActiveCode.Status.UNBOUND
        row.open_userid, row.merged_into, row.synced_at = info.userid, info.merged_into, now
        row.created_at = from_unix(info.create_time)
        row.activated_at, row.expires_at = from_unix(info.active_time), from_unix(info.expire_time)
        (fresh if row.pk is None else rows).append(row)
    with transaction.atomic():
        ActiveCode.objects.bulk_create(fresh)
        ActiveCode.objects.bulk_update(rows, STATE_FIELDS)
    return [*rows, *fresh]


def code_store(
    provider: Provider, corpid: str, info: LicenseAccount, *, order: LicenseOrder | None = None,
    source: str = ActiveCode.Source.ORDER,
) -> ActiveCode:  # fmt: skip
    [row] = codes_store(provider, corpid, [info], order=order, source=source)
    return ActiveCode.objects.get(code=row.code)


def order_sync(provider: Provider, order_id: str) -> LicenseOrder:
    """One order and, once paid, the current state of its codes (a new order) or of the
    accounts it renewed (a renewal)."""
    api = provider_api(provider).license
    order = order_store(provider, api.get_order(order_id=order_id))
    if order.status not in CODES_EXIST:
        return order
    pages = _pages(lambda c: api.list_order_account(order_id=order_id, cursor=c, limit=1000))
    for page in pages:
        if order.kind == LicenseOrder.Kind.RENEWAL:
            for userid in {a.userid for a in page.accounts if a.userid}:
                for held in api.get_active_info_by_user(corpid=order.corpid, userid=userid):
                    bound = replace(held, status=ActiveCode.Status.BOUND, userid=userid)
                    code_store(provider, order.corpid, bound)
            continue
        codes = [a.active_code for a in page.accounts if a.active_code]
        if codes:
            infos, _unknown = api.batch_get_active_info_by_code(
                corpid=order.corpid, active_codes=codes
            )
            codes_store(provider, order.corpid, infos, order=order)
    return order


def corp_license_sync(corp: AuthorizedCorp) -> CorpLicense:
    """The install's trial and check, the corp's auto-activation, and every order of the corp
    with its codes."""
    provider = corp.suite.provider
    api = provider_api(provider).license
    info = api.get_app_license_info(corpid=corp.corpid, suite_id=corp.suite.suite_id)
    try:
        auto = api.get_auto_active_status(corpid=corp.corpid)
    except LicenseAccountError:  # 701071: the corp never bought a licence
        auto = False
    state, _created = CorpLicense.objects.update_or_create(
        corp=corp,
        defaults={
            "check_enabled": info.license_status == 1,
            "check_time": from_unix(info.license_check_time),
            "trial_start": from_unix(info.trial_start_time),
            "trial_end": from_unix(info.trial_end_time),
            "auto_activate": auto,
            "synced_at": timezone.now(),
        },
    )
    for page in _pages(lambda c: api.list_order(corpid=corp.corpid, cursor=c, limit=1000)):
        for listed in page.orders:
            order_sync(provider, listed.order_id)
    return state


# --- what a corp has ---------------------------------------------------------------------------


def valid_codes(corpid: str, now: datetime | Now | None = None) -> QuerySet[ActiveCode]:
    return ActiveCode.objects.filter(
        corpid=corpid, status=ActiveCode.Status.BOUND, expires_at__gt=now or timezone.now()
    )


# Compiled once per process: every member API request asks (IsTenantMember, /me/), and Django
# compiling the query cost more CPU than running it (bench/api.py).
_base_account = CompiledLookup(
    lambda corpid, open_userid, userid: (
        valid_codes(corpid, Now())
        .filter(type=AccountType.BASE, open_userid__in=[open_userid, userid])
        .order_by("-expires_at")[:1]
    )
)


def member_license(member: Member) -> ActiveCode | None:
    """The member's valid base account, if any."""
    ids = _ids(member)
    return _base_account.get(member.corp.corpid, ids[0], ids[-1]) if ids else None


def _ids(member: Member) -> list[str]:
    return [i for i in (member.open_userid, member.userid) if i]


def license_required(member: Member, now: datetime | None = None) -> bool:
    """True when the member may not use the app: the install's check is on, its trial is over
    (check_time passed), and the member holds no valid base account."""
    now = now or timezone.now()
    try:
        state: CorpLicense | None = member.corp.license  # select_related by the bearer auth
    except CorpLicense.DoesNotExist:
        state = None
    if state is None or not state.check_enabled:
        return False
    if state.check_time is None or state.check_time > now:
        return False
    return member_license(member) is None


def unlicensed_record(corp: AuthorizedCorp, userid: str) -> None:
    """Note that someone without a licence tried the app, once an hour per member."""
    now = timezone.now()
    recent = UnlicensedAttempt.objects.filter(corp=corp, userid=userid, at__gte=now - ATTEMPT_GAP)
    if recent.exists():
        return
    member = member_by_any_id(corp, userid)
    UnlicensedAttempt.objects.create(corp=corp, member=member, userid=userid, at=now)


def unlicensed_members(corp: AuthorizedCorp) -> list[Member]:
    """The corp's active members who hold no valid base account."""
    base = valid_codes(corp.corpid).filter(type=AccountType.BASE)
    licensed = set(base.values_list("open_userid", flat=True))
    return [
        m for m in Member.objects.filter(corp=corp, status=1) if not licensed.intersection(_ids(m))
    ]


def accounts_of(corp: AuthorizedCorp) -> dict[str, int]:
    """{"active", "available", "expiring_30d"} for one corp."""
    counts = license_counts([corp])[corp.pk]
    return {"active": counts.active, "available": counts.available,
            "expiring_30d": counts.expiring_30d}  # fmt: skip


def license_summary(corp: AuthorizedCorp) -> dict[str, Any]:
    state = CorpLicense.objects.filter(corp=corp).first()
    return {
        "trial_end": state.trial_end if state else None,
        "check_enabled": state.check_enabled if state else None,
        "auto_activate": state.auto_activate if state else None,
        "accounts": accounts_of(corp),
        "unlicensed_members": [m.open_userid for m in unlicensed_members(corp)],
    }


# --- acting on WeCom ---------------------------------------------------------------------------


def order_create(
    *, corp: AuthorizedCorp, buyer_userid: str, base_count: int, interop_count: int, months: int
) -> LicenseOrder:
    """Order accounts for the corp; WeCom's refusals (701xxx) reach the caller as they are."""
    if base_count < 0 or interop_count < 0 or base_count + interop_count == 0:
        raise Refused(400, _("Order at least one base or interop account."), "invalid_count")
    if max(base_count, interop_count) > MAX_COUNT:
        raise Refused(400, _("WeCom sells at most 1,000,000 accounts per order."), "invalid_count")
    if not 1 <= months <= MAX_MONTHS:
        raise Refused(400, _("The duration must be 1 to 60 months."), "invalid_duration")
    provider = corp.suite.provider
    api = provider_api(provider).license
    order_id = api.create_new_order(
        corpid=corp.corpid, buyer_userid=buyer_userid, base_count=base_count,
        external_contact_count=interop_count, months=months,
    )  # fmt: skip
    return order_sync(provider, order_id)


def code_pick(corp: AuthorizedCorp) -> ActiveCode | None:
    """An available base code for the corp: the newest, whose binding deadline is furthest."""
    return (
        ActiveCode.objects.filter(
            corpid=corp.corpid, type=AccountType.BASE, status=ActiveCode.Status.UNBOUND
        )
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def member_activate(*, member: Member, active_code: str = "") -> ActiveCode:
    """Bind a code to the member (an available one if none is named) and read back its state."""
    corp = member.corp
    if active_code:
        code = ActiveCode.objects.filter(code=active_code, corpid=corp.corpid).first()
        if code is None:
            raise Refused(404, _("This corp has no such active code."), "not_found")
    else:
        code = code_pick(corp)
        if code is None:
            raise Refused(409, _("The corp has no available base account; buy some first."),
                          "no_available_code")  # fmt: skip
    provider = corp.suite.provider
    api = provider_api(provider).license
    who = member.userid or member.open_userid
    api.active_account(active_code=code.code, corpid=corp.corpid, userid=who)
    info = api.get_active_info_by_code(corpid=corp.corpid, active_code=code.code)
    return code_store(provider, corp.corpid, info)


def codes_of(corpid: str, *, status: Iterable[int] = ()) -> QuerySet[ActiveCode]:
    codes = ActiveCode.objects.filter(corpid=corpid).order_by("-created_at", "pk")
    return codes.filter(status__in=list(status)) if status else codes


@dataclass(frozen=True)
class LicenseCounts:
    trial_end: datetime | None
    active: int
    available: int
    expiring_30d: int


def license_counts(corps: Iterable[AuthorizedCorp]) -> dict[int, LicenseCounts]:
    """Each install's trial end and its corp's account counts, for many installs in a fixed
    number of queries (isvstatus, lists)."""
    corps = list(corps)
    now = timezone.now()
    corpids = {c.corpid for c in corps}
    trials = dict(CorpLicense.objects.filter(corp__in=corps).values_list("corp_id", "trial_end"))
    counts = {corpid: Counter[str]() for corpid in corpids}
    rows = ActiveCode.objects.filter(corpid__in=corpids).values_list(
        "corpid", "status", "expires_at"
    )
    for corpid, status, expires_at in rows:
        if status == ActiveCode.Status.UNBOUND:
            counts[corpid]["available"] += 1
        elif status == ActiveCode.Status.BOUND and expires_at and expires_at > now:
            counts[corpid]["active"] += 1
            counts[corpid]["expiring_30d"] += expires_at <= now + EXPIRY_WINDOW
    return {
        c.pk: LicenseCounts(
            trial_end=trials.get(c.pk),
            active=counts[c.corpid]["active"],
            available=counts[c.corpid]["available"],
            expiring_30d=counts[c.corpid]["expiring_30d"],
        )
        for c in corps
    }


def order_cancel(order: LicenseOrder) -> LicenseOrder:
    """Cancel an unpaid order (WeCom refuses others: 701169)."""
    provider_api(order.provider).license.cancel_order(corpid=order.corpid, order_id=order.order_id)
    return order_sync(order.provider, order.order_id)


def order_pay_from_balance(order: LicenseOrder, payer_userid: str = "") -> LicenseOrder:
    """Pay from the provider's top-up balance; WeCom answers through a payment job."""
    api = provider_api(order.provider).license
    payer = payer_userid or _buyer_of(order)
    result = api.pay_job_result(
        jobid=api.submit_pay_job(order_id=order.order_id, payer_userid=payer)
    )
    if result.status == 3:
        raise Refused(
            400,
            _("WeCom could not take the payment (errcode %(errcode)s).")
            % {"errcode": result.errcode},
            "payment_failed",
        )
    return order_sync(order.provider, order.order_id)


def _buyer_of(order: LicenseOrder) -> str:
    """Whoever may pay: the buyer named in one of the provider's suite licence policies."""
    policy = (
        LicensePolicy.objects.filter(suite__provider=order.provider)
        .exclude(buyer_userid="")
        .first()
    )
    if policy is None:
        raise Refused(
            400, _("Set a buyer userid in a suite's licence policy first."), "buyer_required"
        )
    return policy.buyer_userid


def codes_renew(
    codes: Iterable[ActiveCode], *, buyer_userid: str, months: int
) -> list[LicenseOrder]:
    """One renewal order per corp for the members holding ``codes``, left unpaid for the
    provider to pay (WeCom's console or the balance)."""
    if not 1 <= months <= MAX_MONTHS:
        raise Refused(400, _("The duration must be 1 to 60 months."), "invalid_duration")
    by_corp: dict[tuple[int, str], list[ActiveCode]] = {}
    for code in codes:
        if code.open_userid:
            by_corp.setdefault((code.provider_id, code.corpid), []).append(code)
    orders = []
    for (provider_id, corpid), held in by_corp.items():
        provider = Provider.objects.get(pk=provider_id)
        api = provider_api(provider).license
        accounts = [(c.member.userid if c.member and c.member.userid else c.open_userid, c.type)
                    for c in held]  # fmt: skip
        jobid, _refused = api.create_renew_order_job(corpid=corpid, accounts=accounts)
        order_id = api.submit_order_job(jobid=jobid, buyer_userid=buyer_userid, months=months)
        orders.append(order_sync(provider, order_id))
    return orders


def license_transfer(*, corp: AuthorizedCorp, handover: str, takeover: Member) -> list[ActiveCode]:
    """Move the accounts of ``handover`` (a userid or open_userid; a member who left still
    counts) to another member of the same corp (WeCom's 继承); WeCom's refusal is raised."""
    if takeover.corp_id != corp.pk:
        raise Refused(400, _("Both members must belong to the same corp."), "invalid")
    provider = corp.suite.provider
    api = provider_api(provider).license
    successor = takeover.userid or takeover.open_userid
    [result] = api.batch_transfer_license(corpid=corp.corpid, transfers=[(handover, successor)])
    if result.errcode:
        raise error_for(result.errcode, "transfer refused", "license/batch_transfer_license")
    moved = [
        code_store(provider, corp.corpid,
                   replace(held, status=ActiveCode.Status.BOUND, userid=held.userid or successor))
        for held in api.get_active_info_by_user(corpid=corp.corpid, userid=successor)
    ]  # fmt: skip
    transferred = ActiveCode.objects.filter(pk__in=[c.pk for c in moved])
    transferred.update(source=ActiveCode.Source.TRANSFER)
    return list(transferred.select_related("order"))
