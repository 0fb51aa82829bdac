"""Our phrases in each language, read from the zh-Hans catalogue: a page for a Chinese browser
must show none of the English ones, a page for an English browser none of the Chinese ones."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
DEMO_DATA = ROOT / "sandbox/demo.toml"  # corp, member and app names are data, not our phrases
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def catalogue_entries(path: Path = CATALOGUE) -> list[tuple[str, str]]:
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


def _fixed_parts(text: str) -> list[str]:
    """The fixed parts of a message around its placeholders."""
    return [part.strip(" .:,;。：，；（）()") for part in PLACEHOLDER.split(text)]


def english_phrases() -> set[str]:
    """Multi-word English parts of our messages that have a different translation."""
    phrases = set()
    for msgid, translated in catalogue_entries():
        if msgid and translated != msgid:
            for part in _fixed_parts(msgid):
                if " " in part and len(part) >= 8 and re.search(r"[a-z]{3}", part):
                    phrases.add(part)
    return phrases


def chinese_phrases() -> set[str]:
    """Chinese parts of our translations of four characters or more, except those that are
    also names in the demo's data (星辰科技 is a corp, not an untranslated phrase) or that our
    English text uses on purpose (WeCom's own terms, such as 接口许可)."""
    entries = catalogue_entries()
    known = DEMO_DATA.read_text(encoding="utf-8") + "\n".join(msgid for msgid, _ in entries)
    phrases = set()
    for _msgid, translated in entries:
        for part in _fixed_parts(translated):
            if len(CJK.findall(part)) >= 4 and part not in known:
                phrases.add(part)
    return phrases
