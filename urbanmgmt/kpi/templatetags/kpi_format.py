"""{{ rate|percent }}: a rate (0.979) as the dashboard writes it, to one decimal ("97.9%"), "—"
for none. Rounded to whole percents, 97.9 % read "98%", a target met that the dashboard marks
missed."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{number_format(round(float(value) * 100, 1), 1)}%"  # number_format cuts, not rounds
