"""The simulated WeCom world: corps with departments and members, and WeCom-looking ids.

Ids are derived deterministically (HMAC of their natural key), so a restarted sandbox gives the
same corp and member the same ids, as WeCom does.
"""

from __future__ import annotations

import hashlib
import hmac
import string
from dataclasses import dataclass, field

_ALPHABET = string.ascii_letters + string.digits
_ID_SALT = b"isvportal-sandbox-ids"


def opaque_id(prefix: str, *parts: str, length: int = 30) -> str:
    """``prefix`` + ``length`` base-62 characters derived from ``parts`` (e.g. wp…, wo…)."""
    digest = hmac.new(_ID_SALT, "\x00".join(parts).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest + hashlib.sha256(digest).digest(), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    return prefix + "".join(chars)


def plain_corpid(name: str) -> str:
    """A plain corpid as a corp's own admin sees it: ww + 16 hex characters."""
    return "ww" + hashlib.sha256(name.encode()).hexdigest()[:16]


def open_corpid(provider_corpid: str, plain: str) -> str:
    """The provider-scoped (encrypted) corpid every third-party API uses."""
    return opaque_id("wp", provider_corpid, plain)


def open_userid(suite_id: str, corpid: str, userid: str) -> str:
    """The suite-scoped open_userid of a member."""
    return opaque_id("wo", suite_id, corpid, userid)


@dataclass
class Department:
    id: int
    name: str
    parentid: int
    order: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "parentid": self.parentid,
            "order": self.order,
            "department_leader": [],
        }


@dataclass
class Member:
    userid: str
    name: str
    departments: list[int]
    gender: int = 0
    mobile: str = ""
    email: str = ""
    position: str = ""
    status: int = 1
    avatar: str = ""

    def as_json(self, open_userid: str) -> dict[str, object]:
        return {
            "userid": self.userid,
            "open_userid": open_userid,
            "name": self.name,
            "department": list(self.departments),
            "main_department": self.departments[0] if self.departments else 1,
            "position": self.position,
            "mobile": self.mobile,
            "gender": str(self.gender),
            "email": self.email,
            "avatar": self.avatar,
            "status": self.status,
        }


def unionid(name: str) -> str:
    """A WeChat user's unionid (the same across the mini-programs and accounts of one owner)."""
    return opaque_id("o", "unionid", name, length=27)


@dataclass
class Corp:
    name: str
    full_name: str
    plain_corpid: str
    corpid: str
    admin_userid: str
    departments: dict[int, Department] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    industry: str = ""
    scale: str = "1-50人"
    # WeCom's admin levels as get_login_info reports them (usertype): 1 creator, 2 internal
    # admin, 3 external admin, 4 分级管理员, 5 member. The creator is admin_userid.
    admin_levels: dict[str, int] = field(default_factory=dict)
    contacts_locked: bool = False  # a registered corp's contacts, until the migration ends
    customers: dict[str, str] = field(default_factory=dict)  # 客户: unionid → WeChat name

    def usertype(self, userid: str) -> int:
        return 1 if userid == self.admin_userid else self.admin_levels.get(userid, 5)

    def auth_corp_info(self) -> dict[str, object]:
        return {
            "corpid": self.corpid,
            "corp_name": self.name,
            "corp_type": "verified",
            "corp_square_logo_url": "",
            "corp_user_max": 200,
            "corp_full_name": self.full_name,
            "verified_end_time": 1924963200,
            "subject_type": 1,
            "corp_scale": self.scale,
            "corp_industry": self.industry,
            "corp_sub_industry": "",
        }


_DEMO_CORPS = [
    (
        "星辰科技",
        "星辰科技有限公司",
        "IT服务",
        ["研发部", "市场部"],
        [
            ("zhangwei", "张伟", 1, [1], "总经理"),
            ("wangfang", "王芳", 2, [2], "工程师"),
            ("lina", "李娜", 2, [2], "产品经理"),
            ("liuyang", "刘洋", 1, [3], "市场专员"),
        ],
        ["林晓", "何平"],
    ),
    (
        "青山教育",
        "青山教育咨询有限公司",
        "教育",
        ["教学部", "行政部"],
        [
            ("chenjing", "陈静", 2, [1], "校长"),
            ("yanglei", "杨磊", 1, [2], "教师"),
            ("zhaomin", "赵敏", 2, [3], "行政主管"),
        ],
        ["林晓", "孔亮"],
    ),
    (
        "海川物流",
        "海川物流集团有限公司",
        "物流",
        ["运营部", "财务部"],
        [
            ("huangqiang", "黄强", 1, [1], "董事长"),
            ("zhouli", "周丽", 2, [2], "调度"),
            ("wujie", "吴杰", 1, [2], "司机"),
            ("xuting", "徐婷", 2, [3], "会计"),
        ],
        ["苏宁"],
    ),
]


def build_corp(
    provider_corpid: str,
    name: str,
    full_name: str,
    industry: str,
    department_names: list[str],
    members: list[tuple[str, str, int, list[int], str]],
    customer_names: list[str] | None = None,
) -> Corp:
    """A corp whose root department is 1, sub-departments 2.., first member its admin."""
    plain = plain_corpid(full_name)
    corp = Corp(
        name=name,
        full_name=full_name,
        plain_corpid=plain,
        corpid=open_corpid(provider_corpid, plain),
        admin_userid=members[0][0],
        industry=industry,
        customers={unionid(name): name for name in customer_names or ()},
    )
    corp.departments[1] = Department(1, name, 0, 1)
    for offset, dept_name in enumerate(department_names, start=2):
        corp.departments[offset] = Department(offset, dept_name, 1, offset)
    for index, (userid, person, gender, depts, position) in enumerate(members, start=1):
        corp.members[userid] = Member(
            userid=userid,
            name=person,
            departments=depts,
            gender=gender,
            mobile=f"1380013{index:04d}",
            email=f"{userid}@{plain[2:10]}.example.cn",
            position=position,
        )
    return corp


def demo_corps(provider_corpid: str) -> list[Corp]:
    return [build_corp(provider_corpid, *spec) for spec in _DEMO_CORPS]
