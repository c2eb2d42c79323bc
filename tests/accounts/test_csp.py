"""Every page carries a Content-Security-Policy that allows no inline script, and its HTML
has no inline code the policy would block: no <script>/<style> without the page's nonce, no
onclick= handlers, no style= attributes. (The browser proves it too: tests/browser/test_csp.py.)"""

import re
from html.parser import HTMLParser

from django.test import Client

from tests.accounts.pages import PAGES, page_objects


class InlineCode(HTMLParser):
    """Collects what a strict policy refuses: inline <script>/<style> without `nonce`, event
    handler attributes, style attributes."""

    def __init__(self, nonce: str):
        super().__init__()
        self.nonce, self.refused, self._script = nonce, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in a:
            if name.startswith("on") or name == "style":
                self.refused.append(f"<{tag} {name}=…>")
        if tag in ("script", "style") and "src" not in a and a.get("type") != "application/json":
            if a.get("nonce") != self.nonce:
                self.refused.append(f"<{tag}> without the nonce")


def policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def refused_on(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    rules = policy(response)
    assert rules["default-src"] == ["'self'"] and rules["object-src"] == ["'none'"], path
    assert "'unsafe-inline'" not in rules["script-src"] and "'unsafe-eval'" not in rules["script-src"], path
    nonce = next((re.sub(r"^'nonce-(.*)'$", r"\1", s) for s in rules["script-src"] if s.startswith("'nonce-")), None)
    parser = InlineCode(nonce)
    parser.feed(response.content.decode())
    return parser.refused


def test_every_page_allows_no_inline_code_and_has_none(people):
    objects = page_objects(people)
    refused = {}
    for role, path in PAGES:
        client = Client()
        if role:
            client.force_login(getattr(people, role))
        refused[path] = refused_on(client, path.format(**objects))
    assert {path: found for path, found in refused.items() if found} == {}
