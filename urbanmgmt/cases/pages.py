"""Where a person opens a case: the dispatch map for the command centre, the department's
workspace for its handlers (both open the case's panel from ?case=<code>); nowhere for the
other roles, whose pages name the case without a link."""

from urllib.parse import quote

from django.urls import reverse

from urbanmgmt.org.roles import COMMAND_CENTRE, HANDLER, has_role


def case_page(user, code: str) -> str | None:
    if has_role(user, *COMMAND_CENTRE):
        return f"{reverse('dispatch-map')}?case={quote(code)}"
    if has_role(user, HANDLER):
        return f"{reverse('workspace')}?case={quote(code)}"
    return None
