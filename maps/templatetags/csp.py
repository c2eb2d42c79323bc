"""Content-Security-Policy helpers for generated HTML (folium's map header)."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def with_csp_nonce(html: str, nonce: str) -> SafeString:
    """Trusted generated HTML with the request's nonce on each <script> and <style>: folium
    writes its map's size and its flags inline, and the policy allows no inline code else."""
    return mark_safe(re.sub(r"<(script|style)\b", rf'<\1 nonce="{escape(nonce)}"', html))
