"""接口许可 in the console: the provider's orders and active codes, each install's trial and
check, and members who tried the app without a licence. Everything is as WeCom reports it
(licenses.services syncs it); the actions sync from WeCom or activate a code for members."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.admin.common import ConsoleAdmin, ReadOnlyAdmin, confirmed_action, refusal_detail
from console.site import site
from corps.models import Member
from licenses.models import (
    ActiveCode,
    CorpLicense,
    LicenseOrder,
    LicensePolicy,
    UnlicensedAttempt,
)
from licenses.services import (
    MAX_COUNT,
    MAX_MONTHS,
    accounts_of,
    codes_renew,
    corp_license_sync,
    license_transfer,
    member_activate,
    order_cancel,
    order_create,
    order_pay_from_balance,
    order_sync,
    unlicensed_members,
)
from oauth.services import staff_userid


@admin.register(LicenseOrder, site=site)
class LicenseOrderAdmin(ReadOnlyAdmin):
    list_display = ("order_id", "corpid", "kind", "status", "base_count", "interop_count",
                    "months", "price", "ordered_at", "paid_at")  # fmt: skip
    list_filter = ("status", "kind")
    search_fields = ("=order_id", "=corpid")
    fields = (*list_display, "days", "cancelled_at", "auto_renewal", "synced_at")
    readonly_fields = fields
    actions = (
        confirmed_action(
            "sync_order", gettext_lazy("Sync from WeCom"),
            lambda order: order_sync(order.provider, order.order_id),
        ),
        confirmed_action(
            "cancel_order", gettext_lazy("Cancel (unpaid orders only)"), order_cancel
        ),
        confirmed_action(
            "pay_from_balance", gettext_lazy("Pay from the provider's balance"),
            order_pay_from_balance, dangerous=True,
        ),
    )  # fmt: skip


class BuyForm(forms.Form):
    base_count = forms.IntegerField(label=gettext_lazy("base accounts"), min_value=0,
                                    max_value=MAX_COUNT, initial=10)  # fmt: skip
    interop_count = forms.IntegerField(label=gettext_lazy("interop accounts"), min_value=0,
                                       max_value=MAX_COUNT, initial=0)  # fmt: skip
    months = forms.IntegerField(label=gettext_lazy("months"), min_value=1, max_value=MAX_MONTHS,
                                initial=12)  # fmt: skip
    buyer_userid = forms.CharField(
        label=gettext_lazy("buyer userid"), max_length=64,
        help_text=gettext_lazy("A provider admin with the purchase right (your own userid)."),
    )  # fmt: skip


def buy_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """Buy accounts for one corp: the order is placed unpaid, then paid in WeCom's provider
    console or from the balance (the order's action)."""
    corp = model_admin.get_object(request, unquote(object_id))  # None for "abc", as for 0
    if corp is None:
        raise Http404
    form = BuyForm(request.POST or None, initial={"buyer_userid": staff_userid(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            order = order_create(corp=corp, **form.cleaned_data)
        except Exception as error:  # a refusal of ours or WeCom's, shown on the form
            form.add_error(None, refusal_detail(error))
        else:
            message = _(
                "Order %(order)s placed, unpaid (%(price)s fen). Pay it in WeCom's provider "
                "console (接口许可), or from the balance with the order's action."
            ) % {"order": order.order_id, "price": order.price}
            model_admin.message_user(request, message, messages.SUCCESS)
            return redirect("admin:licenses_licenseorder_change", order.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Buy licences for %(corp)s") % {"corp": corp},
        "form": form,
        "opts": model_admin.model._meta,
        "original": corp,
    }
    return TemplateResponse(request, "console/license_buy.html", context)


@admin.action(description=gettext_lazy("Renew for 12 months (an unpaid order per corp)"))
def renew_codes(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    buyer = staff_userid(request.user)
    try:
        orders = codes_renew(queryset.select_related("member"), buyer_userid=buyer, months=12)
    except Exception as error:  # a refusal of ours or WeCom's, reported on the page
        model_admin.message_user(request, refusal_detail(error), messages.ERROR)
        return
    placed = ", ".join(o.order_id for o in orders)
    message = _("Renewal orders placed, unpaid: %(orders)s.") % {"orders": placed or "-"}
    model_admin.message_user(request, message, messages.SUCCESS)


@admin.action(description=gettext_lazy("Transfer to another member…"))
def transfer_codes(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: Any
) -> TemplateResponse | None:
    """WeCom's 继承: a member's accounts go to a successor in the same corp, chosen on a page
    that follows the selection."""
    held = list(queryset.filter(status=ActiveCode.Status.BOUND).select_related("corp", "member"))
    if len({c.open_userid for c in held}) != 1 or held[0].corp is None:
        model_admin.message_user(
            request, _("Select the active codes of one member."), messages.ERROR
        )
        return None
    code, corp = held[0], held[0].corp
    successors = Member.objects.filter(corp=corp, status=1).exclude(open_userid=code.open_userid)
    chosen = request.POST.get("takeover")
    if not chosen:
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("Transfer a licence"),
            "code": code,
            "successors": successors.order_by("name"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": model_admin.model._meta,
        }
        return TemplateResponse(request, "console/license_transfer.html", context)
    takeover = successors.filter(pk=chosen).first()
    if takeover is None:
        model_admin.message_user(request, _("No such member in this corp."), messages.ERROR)
        return None
    handover = code.member.userid if code.member and code.member.userid else code.open_userid
    try:
        moved = license_transfer(corp=corp, handover=handover, takeover=takeover)
    except Exception as error:  # a refusal of ours or WeCom's, reported on the page
        model_admin.message_user(request, refusal_detail(error), messages.ERROR)
        return None
    message = _("%(n)s accounts now belong to %(member)s.") % {"n": len(moved), "member": takeover}
    model_admin.message_user(request, message, messages.SUCCESS)
    return None


@admin.register(ActiveCode, site=site)
class ActiveCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "corp", "type", "status", "member", "source", "expires_at")
    list_filter = ("status", "type", "source")
    search_fields = ("=code", "=corpid", "=open_userid", "=order__order_id", "corp__corp_name")
    list_select_related = ("corp", "member")
    actions = (renew_codes, transfer_codes)
    fields = (*list_display, "corpid", "open_userid", "order", "created_at", "activated_at",
              "merged_into", "synced_at")  # fmt: skip
    readonly_fields = fields


@admin.register(CorpLicense, site=site)
class CorpLicenseAdmin(ConsoleAdmin):
    """As WeCom reports it, except the renewal budget, which the provider sets."""

    list_display = ("corp", "check_enabled", "check_time", "trial_end", "auto_activate",
                    "renew_budget", "synced_at")  # fmt: skip
    list_filter = ("check_enabled", "auto_activate")
    search_fields = ("corp__corp_name", "=corp__corpid")
    list_select_related = ("corp",)
    fields = (*list_display, "trial_start")
    readonly_fields = tuple(f for f in fields if f != "renew_budget")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    actions = (
        confirmed_action(
            "sync_license",
            gettext_lazy("Sync licences from WeCom"),
            lambda state: corp_license_sync(state.corp),
        ),
    )


@admin.register(UnlicensedAttempt, site=site)
class UnlicensedAttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "userid", "member", "corp")
    list_select_related = ("member", "corp")
    date_hierarchy = "at"
    fields = list_display
    readonly_fields = fields


class LicensePolicyInline(admin.StackedInline):
    """The suite's licence policy on the suite's page."""

    model = LicensePolicy
    can_delete = False
    max_num = 1
    verbose_name_plural = gettext_lazy("licence policy")


class LicenseInline(admin.StackedInline):
    """The install's licence state on the corp's page, with its accounts and who lacks one."""

    model = CorpLicense
    fields = ("check_enabled", "check_time", "trial_end", "auto_activate", "accounts",
              "unlicensed", "renew_budget", "synced_at")  # fmt: skip
    readonly_fields = tuple(f for f in fields if f != "renew_budget")

    @admin.display(description=gettext_lazy("accounts"))
    def accounts(self, state: CorpLicense) -> str:
        counts = accounts_of(state.corp)
        text = _("%(active)s active, %(available)s available, %(expiring_30d)s expire in 30 days")
        return text % counts

    @admin.display(description=gettext_lazy("members without a licence"))
    def unlicensed(self, state: CorpLicense) -> str:
        missing = unlicensed_members(state.corp)
        names = ", ".join(m.name or m.userid or m.open_userid for m in missing[:20])
        return f"{len(missing)}: {names}" if missing else "0"

    can_delete = False
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


activate_license = confirmed_action(
    "activate_license",
    gettext_lazy("Activate a licence (an available base account)"),
    lambda member: member_activate(member=member),
)
