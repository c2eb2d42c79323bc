"""{% case_page code as url %}: where the signed-in person opens case `code` (cases.pages), or "";
{% case_link code label %}: `label` (the code by default) linked there, or plain where they cannot."""

from django import template

from urbanmgmt.cases.pages import case_page as page_of

register = template.Library()


@register.simple_tag(takes_context=True)
def case_page(context, code: str) -> str:
    request = context.get("request")
    return (page_of(request.user, code) if request is not None and code else None) or ""


@register.inclusion_tag("cases/case_link.html", takes_context=True)
def case_link(context, code: str, label=None) -> dict:
    return {"url": case_page(context, code), "label": code if label is None else label}
