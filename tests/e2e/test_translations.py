"""Every console page, in a browser asking for Chinese, shows none of our English phrases: each
multi-word string of the catalogue (whose translation differs from it) is looked for in the
page's visible text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from selenium.webdriver.common.by import By

from corps.models import AuthorizedCorp, Member, Provider, Suite
from tests.e2e.conftest import choose

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"


def catalogue_entries(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every live entry of a .po file, untranslated ones included."""
    entries: list[tuple[str, str]] = []
    current: dict[str, str] = {}
    field = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():  # an entry ends at a blank line
            if "msgid" in current:
                entries.append((current["msgid"], current.get("msgstr", "")))
            current, field = {}, ""
        elif line.startswith('"'):
            current[field] += ast.literal_eval(line)
        elif not line.startswith("#"):  # comments, and obsolete entries (#~)
            keyword, _, value = line.partition(" ")
            field = (
                "msgstr" if keyword.startswith("msgstr") and "msgstr" not in current else keyword
            )
            current[field] = ast.literal_eval(value)
    return entries


def english_phrases() -> set[str]:
    phrases = set()
    for msgid, translated in catalogue_entries(CATALOGUE):
        if not msgid or translated == msgid:
            continue
        text = re.sub(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}", "\0", msgid)
        for part in text.split("\0"):  # the fixed parts around placeholders
            part = part.strip(" .:,;")
            if " " in part and len(part) >= 8 and re.search(r"[a-z]{3}", part):
                phrases.add(part)
    return phrases


PHRASES = english_phrases()


def pages() -> list[str]:
    corp, member = AuthorizedCorp.objects.first(), Member.objects.first()
    urls = ["/admin/", "/admin/corps/provider/add/", "/admin/corps/registercode/add/",
            "/admin/oauth/servicekey/add/",
            f"/admin/corps/provider/{Provider.objects.get().pk}/change/",
            f"/admin/corps/suite/{Suite.objects.get().pk}/change/",
            f"/admin/corps/authorizedcorp/{corp.pk}/change/",
            f"/admin/corps/member/{member.pk}/change/"]  # fmt: skip
    lists = ("corps/provider", "corps/suite", "corps/authorizedcorp", "corps/member",
             "corps/department", "corps/registercode", "tokens/credential",
             "callbacks/callbackevent", "oauth/apitoken", "oauth/auditrecord", "oauth/servicekey",
             "oauth/staffmembership", "auth/user", "auth/group")  # fmt: skip
    urls += [f"/admin/{model}/" for model in lists]
    return urls


def test_the_catalogue_yields_phrases_to_look_for():
    assert len(PHRASES) > 100 and "Refresh auth info" in PHRASES


def test_no_console_page_shows_english_to_a_chinese_browser(product, live_server, chrome):
    product.install(0)
    chrome.get(f"{live_server.url}/oauth/provider-login/")
    choose(chrome, f"{product.provider.corpid}|sunyue", "scan", f"{live_server.url}/admin/")
    untranslated = {}
    for url in pages():
        chrome.get(f"{live_server.url}{url}")
        text = chrome.find_element(By.TAG_NAME, "body").text
        found = sorted(p for p in PHRASES if p in text)
        if found:
            untranslated[url] = found
    assert untranslated == {}
