"""Personal data out of free text that leaves for the public (Open311, public exports):
phone numbers, ID-card numbers, licence plates, e-mail addresses, door numbers and names
in the forms citizens write them. The rules are data (`fixtures/hotline/redaction.json`,
or the file HOTLINE_REDACTION_RULES names), read again when the file changes."""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings


def rules_path() -> Path:
    return Path(getattr(settings, "HOTLINE_REDACTION_RULES", "") or settings.FIXTURES_DIR / "hotline" / "redaction.json")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    replacement: str


class Redactor:
    """The compiled rules of one version of the file."""

    def __init__(self, data: dict):
        self.version = data.get("version", "")
        self.rules = [Rule(r["name"], re.compile(r["pattern"]), r["replacement"]) for r in data["rules"]]
        names = data["names"]
        surname = f"(?:{_alt(names['compound_surnames'])}|[{re.escape(names['surnames'])}])"
        forms = _alt(names["forms_of_address"])
        self.not_names = frozenset(names["not_names"])
        self.mask = names["replacement"]
        self.addressed = re.compile(f"(?P<surname>{surname})(?P<form>{forms})")
        stops = _alt(names["name_stops"])
        end = r"[\s，。,.;；:：!！?？、）)]|$"
        given = r"[\u4e00-\u9fff]{1,2}?"
        self.surname = re.compile(surname)
        self.introduced = [
            (re.compile(f"(?P<k>(?:{_alt(names['introductions'])})[:：]?\\s?)(?P<name>{surname}{given})(?={end}|{stops})"),
             names["name_replacement"]),
            (re.compile(f"(?P<k>{_alt(names['weak_introductions'])})(?P<name>{surname}{given})(?={end}|反映|投诉|举报|来电)"),
             names["name_replacement"]),
            (re.compile(f"(?P<k>{_alt(names['surname_only_introductions'])})(?P<name>{surname})"), self.mask),
        ]

    def _addressed(self, match: re.Match) -> str:
        start = match.start("surname")
        before = match.string[max(0, start - 3):start + len(match["surname"])]
        if any(before.endswith(word) for word in self.not_names):
            return match.group(0)
        return self.mask + match["form"]

    def _introduced(self, match: re.Match, mark: str) -> str:
        if any(match["name"].startswith(word) for word in self.not_names):  # 本人曾多次反映
            return match.group(0)
        return match["k"] + mark

    def _personal(self, value: str | None) -> bool:
        """A caller's field worth looking for: a number of 7 digits or more, or a name that
        starts with a surname (not 匿名, 市民)."""
        value = (value or "").strip()
        return sum(c.isdigit() for c in value) >= 7 or (len(value) >= 2 and bool(self.surname.match(value)))

    def redact(self, text: str, also: Iterable[str] = ()) -> str:
        """`text` with every match of the rules replaced by its mark; `also` are literal
        strings (the caller's own name and phone) replaced wherever they appear."""
        if not text:
            return text
        for literal in sorted({a.strip() for a in also if self._personal(a)}, key=len, reverse=True):
            text = text.replace(literal, "【个人信息】")
        for rule in self.rules:
            text = rule.pattern.sub(rule.replacement, text)
        # 张先生 before 我叫张三, so that 来电人陈老师 keeps its form of address (来电人某老师).
        text = self.addressed.sub(self._addressed, text)
        for pattern, mark in self.introduced:
            text = pattern.sub(lambda m, mark=mark: self._introduced(m, mark), text)
        return text


def _alt(words: list[str]) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> Redactor:
    return Redactor(json.loads(Path(path).read_text(encoding="utf-8")))


def redactor() -> Redactor:
    """The rules of the configured file, compiled once per version of the file."""
    path = rules_path()
    return _load(str(path), path.stat().st_mtime_ns)


def redact(text: str | None, also: Iterable[str] = ()) -> str | None:
    """`text` fit for the public: personal data replaced by marks (【电话】, 某先生…)."""
    return redactor().redact(text, also) if text else text


def check_rules(app_configs=None, **kwargs) -> list:
    """System check: the rules file reads and compiles, so that a bad file is found by
    `manage.py check` (and at start), not by the public's first Open311 request."""
    from django.core.checks import Error

    try:
        redactor()
    except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
        return [Error(f"The redaction rules {rules_path()} cannot be used: {exc}",
                      hint="Fix the file or HOTLINE_REDACTION_RULES; Open311 cannot publish without them.",
                      id="hotline.E001")]
    return []
