"""What happens in the simulated WeCom when someone acts: a corp installs or cancels the app,
an admin edits the contacts, a member opens the app, a new corp registers. Each operation changes
the world and pushes the callback WeCom would send. The browser pages and the control API both
act only through here.
"""

from __future__ import annotations

import secrets
from typing import Any

from sandbox import register_sync
from sandbox.editions import EditionOrder
from sandbox.engine import (
    LOGIN_CODE_LIFETIME,
    OAUTH_CODE_LIFETIME,
    ApiError,
    Authorization,
    Sandbox,
)
from sandbox.licensing import LicenseOrder
from sandbox.pusher import Delivery, Pusher
from sandbox.world import Corp, Department, Member, build_corp

SCOPES = ("snsapi_base", "snsapi_privateinfo", "snsapi_userinfo")
CONTACT_CHANGES = (
    "create_user",
    "update_user",
    "delete_user",
    "create_party",
    "update_party",
    "delete_party",
    "update_tag",
)
APP_EVENTS = ("enter_agent", "subscribe", "unsubscribe", "unlicensed_notify", "text")
# Member fields a contact change may set, and their names in the change_contact event.
_USER_FIELDS = {
    "name": "Name",
    "mobile": "Mobile",
    "position": "Position",
    "gender": "Gender",
    "email": "Email",
    "avatar": "Avatar",
    "status": "Status",
}


class LifecycleError(ValueError):
    """The requested action makes no sense in the current world (unknown corp, not installed…)."""


def _ints(value: Any) -> list[int]:
    try:
        return [
            int(v) for v in (value if isinstance(value, list) else str(value).split(",")) if str(v)
        ]
    except ValueError:
        raise LifecycleError("department ids must be integers") from None


class Lifecycle:
    def __init__(self, sandbox: Sandbox, pusher: Pusher) -> None:
        self.sandbox = sandbox
        self.pusher = pusher

    # --- lookups ---------------------------------------------------------------------------

    def corp(self, corpid: str) -> Corp:
        corp = self.sandbox.corp(corpid)
        if corp is None:
            raise LifecycleError(f"unknown corp {corpid}")
        return corp

    def installed(self, suite_id: str, corpid: str) -> Authorization:
        if self.sandbox.config.suite(suite_id) is None:
            raise LifecycleError(f"unknown suite {suite_id}")
        authorization = self.sandbox.active_authorization(suite_id, corpid)
        if authorization is None:
            raise LifecycleError(f"suite {suite_id} is not installed in corp {corpid}")
        return authorization

    def _command(self, suite_id: str, info_type: str, **fields: Any) -> Delivery:
        common = {"SuiteId": suite_id, "InfoType": info_type, "TimeStamp": int(self.sandbox.now())}
        return self.pusher.command(suite_id, {**common, **fields})

    # --- install and authorization ---------------------------------------------------------

    def install(
        self, suite_id: str, corpid: str, *, state: str = "", auth_type: int = 0, push: bool = True
    ) -> tuple[str, Delivery | None]:
        """Authorize the suite in the corp; returns the auth_code and the create_auth push."""
        if self.sandbox.config.suite(suite_id) is None:
            raise LifecycleError(f"unknown suite {suite_id}")
        self.corp(corpid)
        _, auth_code = self.sandbox.authorize(suite_id, corpid, state=state, auth_type=auth_type)
        delivery = None
        if push:
            delivery = self._command(suite_id, "create_auth", AuthCode=auth_code, State=state)
        return auth_code, delivery

    def change_auth(self, suite_id: str, corpid: str) -> Delivery:
        self.installed(suite_id, corpid)
        return self._command(suite_id, "change_auth", AuthCorpId=corpid, State="")

    def cancel_auth(self, suite_id: str, corpid: str) -> Delivery:
        self.installed(suite_id, corpid)
        self.sandbox.cancel(suite_id, corpid)
        return self._command(suite_id, "cancel_auth", AuthCorpId=corpid)

    def reset_permanent_code(self, suite_id: str, corpid: str) -> Delivery:
        self.installed(suite_id, corpid)
        auth_code = self.sandbox.reset_permanent_code(suite_id, corpid)
        return self._command(suite_id, "reset_permanent_code", AuthCode=auth_code)

    # --- contacts --------------------------------------------------------------------------

    def change_contact(
        self, suite_id: str, corpid: str, change_type: str, data: dict[str, Any]
    ) -> Delivery:
        """A contact change: on the command URL (InfoType) for a third-party app; a 代开发 app
        hears it on its data URL in the self-built format (Event, ToUserName the corp)."""
        authorization = self.installed(suite_id, corpid)
        if change_type not in CONTACT_CHANGES:
            raise LifecycleError(f"unknown ChangeType {change_type}")
        corp = self.corp(corpid)
        with self.sandbox.lock:
            fields = getattr(self, f"_{change_type}")(suite_id, corp, data)
        return self.push_change(authorization, "change_contact", change_type, fields)

    def push_change(
        self, authorization: Authorization, kind: str, change_type: str, fields: dict[str, Any]
    ) -> Delivery:
        """A change event (change_contact, change_external_*): InfoType on the command URL for a
        third-party app, Event on the data URL (ToUserName the corp) for a 代开发 app."""
        suite_id, corpid = authorization.suite_id, authorization.corpid
        suite = self.sandbox.config.suite(suite_id)
        if suite is not None and suite.customized:
            event = self._app_common(authorization, "sys", "event")
            event.update(Event=kind, ChangeType=change_type, **fields)
            return self.pusher.data(suite_id, corpid, authorization.agentid, event)
        return self._command(suite_id, kind, AuthCorpId=corpid, ChangeType=change_type, **fields)

    def _user_ids(self, suite_id: str, corp: Corp, userid: str) -> dict[str, Any]:
        return {
            "UserID": userid,
            "OpenUserID": self.sandbox.open_userid(suite_id, corp.corpid, userid),
        }

    def _existing_member(self, corp: Corp, data: dict[str, Any]) -> Member:
        member = corp.members.get(str(data.get("userid", "")))
        if member is None:
            raise LifecycleError(f"no member {data.get('userid')!r} in {corp.corpid}")
        return member

    def _create_user(self, suite_id: str, corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
        userid, name = str(data.get("userid", "")), str(data.get("name", ""))
        if not userid or not name:
            raise LifecycleError("create_user needs userid and name")
        if userid in corp.members:
            raise LifecycleError(f"member {userid} exists already")
        departments = _ints(data.get("department", [1])) or [1]
        member = Member(userid=userid, name=name, departments=departments)
        for attr in _USER_FIELDS:
            if attr in data:
                setattr(member, attr, type(getattr(member, attr))(data[attr]))
        corp.members[userid] = member
        fields = self._user_ids(suite_id, corp, userid)
        fields.update(
            {xml: getattr(member, attr) for attr, xml in _USER_FIELDS.items() if attr != "avatar"}
        )
        fields.update(Department=",".join(map(str, departments)), MainDepartment=departments[0])
        return fields

    def _update_user(self, suite_id: str, corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
        member = self._existing_member(corp, data)
        fields = self._user_ids(suite_id, corp, member.userid)
        for attr, xml in _USER_FIELDS.items():
            if attr in data:
                setattr(member, attr, type(getattr(member, attr))(data[attr]))
                fields[xml] = getattr(member, attr)
        if "department" in data:
            member.departments = _ints(data["department"])
            fields["Department"] = ",".join(map(str, member.departments))
        new_userid = str(data.get("new_userid", ""))
        if new_userid and new_userid != member.userid:
            corp.members[new_userid] = corp.members.pop(member.userid)
            member.userid = new_userid
            fields["NewUserID"] = new_userid
        return fields

    def _delete_user(self, suite_id: str, corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
        member = self._existing_member(corp, data)
        if member.userid == corp.admin_userid:
            raise LifecycleError("the corp's admin cannot be deleted")
        del corp.members[member.userid]
        return self._user_ids(suite_id, corp, member.userid)

    def _department(self, corp: Corp, data: dict[str, Any]) -> Department:
        department = corp.departments.get(_ints([data.get("id", "")])[0] if data.get("id") else -1)
        if department is None:
            raise LifecycleError(f"no department {data.get('id')!r} in {corp.corpid}")
        return department

    def _create_party(self, suite_id: str, corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
        name = str(data.get("name", ""))
        if not name:
            raise LifecycleError("create_party needs a name")
        parentid = _ints([data.get("parentid", 1)])[0]
        if parentid not in corp.departments:
            raise LifecycleError(f"no parent department {parentid}")
        new_id = _ints([data["id"]])[0] if data.get("id") else max(corp.departments) + 1
        if new_id in corp.departments:
            raise LifecycleError(f"department {new_id} exists already")
        corp.departments[new_id] = Department(new_id, name, parentid, new_id)
        return {"Id": new_id, "Name": name, "ParentId": parentid, "Order": new_id}

    def _update_party(self, suite_id: str, corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
        department = self._department(corp, data)
        fields: dict[str, Any] = {"Id": department.id}
        if data.get("name"):
            department.name = str(data["name"])
            fields["Name"] = department.name
        if data.get("parentid"):
            department.parentid = _ints([data["parentid"]])[0]
            fields["ParentId"] = department.parentid
        return fields

    def _delete_party(self, suite_id: str, corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
        department = self._department(corp, data)
        if department.id == 1:
            raise LifecycleError("the root department cannot be deleted")
        if any(department.id in m.departments for m in corp.members.values()):
            raise LifecycleError("a department with members cannot be deleted")
        del corp.departments[department.id]
        return {"Id": department.id}

    def _update_tag(self, suite_id: str, corp: Corp, data: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {"TagId": _ints([data.get("tag_id", 1)])[0]}
        for key, xml in (
            ("add_user_items", "AddUserItems"),
            ("del_user_items", "DelUserItems"),
            ("add_party_items", "AddPartyItems"),
            ("del_party_items", "DelPartyItems"),
        ):
            if data.get(key):
                items = data[key]
                fields[xml] = ",".join(map(str, items)) if isinstance(items, list) else str(items)
        return fields

    # --- data-callback events --------------------------------------------------------------

    def _app_common(self, authorization: Authorization, from_user: str, msg_type: str) -> dict:
        return {
            "ToUserName": authorization.corpid,
            "FromUserName": from_user,
            "CreateTime": int(self.sandbox.now()),
            "MsgType": msg_type,
        }

    def change_app_admin(self, suite_id: str, corpid: str, admin_userid: str = "") -> Delivery:
        authorization = self.installed(suite_id, corpid)
        corp = self.corp(corpid)
        if admin_userid:
            if admin_userid not in corp.members:
                raise LifecycleError(f"no member {admin_userid} in {corpid}")
            corp.admin_userid = admin_userid
        fields = self._app_common(authorization, "sys", "event")
        fields.update(Event="change_app_admin", AgentID=authorization.agentid)
        return self.pusher.data(suite_id, corpid, authorization.agentid, fields)

    def app_event(
        self, suite_id: str, corpid: str, event: str, userid: str, content: str = ""
    ) -> Delivery:
        authorization = self.installed(suite_id, corpid)
        if event not in APP_EVENTS:
            raise LifecycleError(f"unknown app event {event}")
        corp = self.corp(corpid)
        if userid not in corp.members:
            raise LifecycleError(f"no member {userid} in {corpid}")
        if event == "text":
            fields = self.text_message(authorization, userid, content or "你好")
        else:
            fields = self._app_common(authorization, userid, "event")
            fields.update(Event=event, EventKey="", AgentID=authorization.agentid)
        return self.pusher.data(suite_id, corpid, authorization.agentid, fields)

    def _license_event(self, info_type: str, order: LicenseOrder, **fields: Any) -> Delivery:
        return self.pusher.system(
            {
                "ServiceCorpId": self.sandbox.config.provider.corpid,
                "InfoType": info_type,
                "AuthCorpId": order.corpid,
                "OrderId": order.order_id,
                "TimeStamp": int(self.sandbox.now()),
                **fields,
            }
        )

    def license_pay(self, order_id: str) -> list[Delivery]:
        """The provider pays a licence order in WeCom's console: its codes exist, and
        license_pay_success is sent for it (for each part of a multi-corp order)."""
        with self.sandbox.lock:
            try:
                order = self.sandbox.licenses.order(order_id)
                self.sandbox.licenses.pay(order, self.sandbox.now())
            except ApiError as error:
                raise LifecycleError(error.errmsg) from None
        return self.announce_payments()

    def announce_payments(self) -> list[Delivery]:
        """license_pay_success for every order paid since the last announcement."""
        with self.sandbox.lock:
            book = self.sandbox.licenses
            paid, book.announce = [book.orders[o] for o in book.announce], []
        return [
            self._license_event("license_pay_success", o, BuyerUserId=o.buyer_userid) for o in paid
        ]

    def license_refund(self, order_id: str) -> Delivery:
        """WeCom refunds a paid order: its codes stop working, license_refund is sent."""
        with self.sandbox.lock:
            try:
                order = self.sandbox.licenses.order(order_id)
                self.sandbox.licenses.refund(order)
            except ApiError as error:
                raise LifecycleError(error.errmsg) from None
        return self._license_event("license_refund", order, OrderStatus=1)

    # --- paid editions: WeCom's order events, in WeCom's order ----------------------------

    def _order_event(self, info_type: str, suite_id: str, corpid: str, **fields: Any) -> Delivery:
        return self._command(suite_id, info_type, PaidCorpId=corpid, **fields)

    def app_order(
        self, suite_id: str, corpid: str, edition_id: str, user_count: int, days: int
    ) -> tuple[str, Delivery]:
        """The corp's admin places an order for an edition: open_order."""
        self.installed(suite_id, corpid)
        corp = self.corp(corpid)
        with self.sandbox.lock:
            try:
                order = self.sandbox.editions.place(
                    suite_id, corpid, edition_id, user_count, days, corp.admin_userid,
                    self.sandbox.now(),
                )  # fmt: skip
            except ApiError as error:
                raise LifecycleError(error.errmsg) from None
        opened = self._order_event(
            "open_order", suite_id, corpid, OrderId=order.order_id, OperatorId=corp.admin_userid
        )
        return order.order_id, opened

    def _edition_order(self, order_id: str) -> tuple[EditionOrder, Authorization]:
        try:
            order = self.sandbox.editions.order(order_id)
        except ApiError as error:
            raise LifecycleError(error.errmsg) from None
        return order, self.installed(order.suite_id, order.corpid)

    def app_pay(self, order_id: str) -> list[Delivery]:
        """Paid: pay_for_app_success, then change_editon."""
        order, authorization = self._edition_order(order_id)
        with self.sandbox.lock:
            try:
                self.sandbox.editions.pay(order, authorization, self.sandbox.now())
            except ApiError as error:
                raise LifecycleError(error.errmsg) from None
        paid = self._order_event(
            "pay_for_app_success", order.suite_id, order.corpid, OrderId=order.order_id
        )
        return [paid, self._order_event("change_editon", order.suite_id, order.corpid)]

    def app_refund(self, order_id: str) -> list[Delivery]:
        """Refunded: refund, then change_editon."""
        order, authorization = self._edition_order(order_id)
        with self.sandbox.lock:
            try:
                self.sandbox.editions.refund(order, authorization, self.sandbox.now())
            except ApiError as error:
                raise LifecycleError(error.errmsg) from None
        refunded = self._order_event("refund", order.suite_id, order.corpid, OrderId=order.order_id)
        return [refunded, self._order_event("change_editon", order.suite_id, order.corpid)]

    def app_trial(self, suite_id: str, corpid: str) -> Delivery:
        """The corp is in a 15-day trial of the full edition: change_editon."""
        authorization = self.installed(suite_id, corpid)
        with self.sandbox.lock:
            self.sandbox.editions.start_trial(authorization, self.sandbox.now())
        return self._order_event("change_editon", suite_id, corpid)

    def text_message(self, authorization: Authorization, userid: str, content: str) -> dict:
        fields = self._app_common(authorization, userid, "text")
        fields.update(Content=content, MsgId=secrets.randbits(63), AgentID=authorization.agentid)
        return fields

    # --- sign-in codes ---------------------------------------------------------------------

    def oauth_code(self, suite_id: str, corpid: str, userid: str, scope: str) -> str:
        self.installed(suite_id, corpid)
        if userid not in self.corp(corpid).members:
            raise LifecycleError(f"no member {userid} in {corpid}")
        if scope not in SCOPES:
            raise LifecycleError(f"unknown scope {scope}")
        payload = {"suite_id": suite_id, "corpid": corpid, "userid": userid, "scope": scope}
        return self.sandbox.issue_code("oauth_code", payload, OAUTH_CODE_LIFETIME)

    def admin_level(self, corpid: str, userid: str, usertype: int) -> None:
        corp = self.corp(corpid)
        if userid not in corp.members:
            raise LifecycleError(f"no member {userid} in {corpid}")
        if usertype not in (2, 3, 4, 5) or userid == corp.admin_userid:
            raise LifecycleError("usertype must be 2, 3, 4 or 5, for anyone but the creator")
        with self.sandbox.lock:
            corp.admin_levels[userid] = usertype

    def login_code(self, corpid: str, userid: str) -> str:
        if userid not in self.corp(corpid).members:
            raise LifecycleError(f"no member {userid} in {corpid}")
        payload = {"corpid": corpid, "userid": userid}
        return self.sandbox.issue_code("login_code", payload, LOGIN_CODE_LIFETIME)

    # --- promotion registration ------------------------------------------------------------

    def register(
        self, register_code: str, *, corp_name: str, admin_name: str
    ) -> tuple[Corp, Delivery, Delivery]:
        """A new corp registers through a register code: register_corp to the provider's
        system URL, then the template's app is installed (create_auth)."""
        with self.sandbox.lock:
            try:
                self.sandbox.consume_code("register_code", register_code, invalid=0, expired=0)
            except ApiError:
                raise LifecycleError("this register link is invalid, used or expired") from None
            registration = self.sandbox.register_codes[register_code]
            if not corp_name or not admin_name:
                raise LifecycleError("a corp name and an admin name are needed")
            corp = build_corp(
                self.sandbox.config.provider.corpid,
                corp_name,
                corp_name,
                "",
                [],
                [("admin", admin_name, 0, [1], "管理员")],
            )
            if corp.corpid in self.sandbox.corps:
                raise LifecycleError(f"a corp named {corp_name} exists already")
            self.sandbox.corps[corp.corpid] = corp
            registration.corpid, registration.admin_userid = corp.corpid, corp.admin_userid
            corp.contacts_locked = True  # until the provider's contact migration ends
            sync = self.sandbox.issue_credential(
                register_sync.KIND, (corp.corpid,), register_sync.LIFETIME
            )
        registered = self.pusher.system(
            {
                "ServiceCorpId": self.sandbox.config.provider.corpid,
                "InfoType": "register_corp",
                "TimeStamp": int(self.sandbox.now()),
                "RegisterCode": register_code,
                "AuthCorpId": corp.corpid,
                "AuthUserInfo": {"UserId": corp.admin_userid},
                "State": registration.state,
                "TemplateId": registration.template_id,
                "ContactSync": {"AccessToken": sync.value, "ExpiresIn": register_sync.LIFETIME},
            }
        )
        authorization, auth_code = self.sandbox.authorize(
            registration.suite_id, corp.corpid, state=registration.state
        )
        authorization.register_code = register_code
        installed = self._command(
            registration.suite_id, "create_auth", AuthCode=auth_code, State=registration.state
        )
        return corp, registered, installed
