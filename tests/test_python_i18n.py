"""Every word the server's code marks for translation (gettext and its kin, in the apps'
Python) has its Chinese in django.po: a string added after the catalogue was last made
(an API description, an error) is shown in English to a Chinese user until it has one."""

import ast

from django.conf import settings

NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
         "npgettext", "npgettext_lazy", "_lazy"}
SKIP = {".venv", "var", "tests", "node_modules", "staticfiles", "bench", "demo", "scripts"}


def catalogue() -> set[tuple[str, str]]:
    """(context, msgid) of every translated entry of django.po (context "" when none)."""
    entries, current, field = set(), {}, None
    lines = (settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    for line in lines.splitlines() + [""]:
        if line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
            if line.startswith(("msgctxt ", "msgid ")) and "msgstr" in current:
                entries.add(done(current))
                current = {}
            field, _space, text = line.partition(" ")
            current[field] = ast.literal_eval(text)
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        elif not line.strip() and "msgstr" in current or "msgstr[0]" in current:
            entries.add(done(current))
            current, field = {}, None
    return {entry for entry in entries if entry[2]}


def done(entry: dict) -> tuple[str, str, str]:
    return entry.get("msgctxt", ""), entry.get("msgid", ""), entry.get("msgstr") or entry.get("msgstr[0]", "")


def marked(path) -> set[tuple[str, str]]:
    """(context, msgid) of the literal strings `path` passes to gettext and its kin."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in NAMES:
            continue
        texts = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args[:2]]
        context, msgid = (texts + [None])[:2] if name.startswith(("pgettext", "npgettext")) else ("", texts[0])
        if msgid is not None and context is not None:
            found.add((context, msgid))
    return found


def sources():
    return sorted(p for p in settings.BASE_DIR.glob("**/*.py") if not SKIP & set(p.relative_to(settings.BASE_DIR).parts))


def test_every_marked_string_of_the_servers_code_has_its_chinese():
    have = {(context, msgid) for context, msgid, _text in catalogue()}
    files = sources()
    assert len(files) > 100 and len(have) > 1000
    missing = sorted((str(path.relative_to(settings.BASE_DIR)), context, msgid)
                     for path in files for context, msgid in marked(path) if (context, msgid) not in have)
    assert missing == []
