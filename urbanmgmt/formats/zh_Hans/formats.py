from django.conf.locale.zh_Hans.formats import *  # noqa: F403 - Django's Chinese formats, but for the grouping

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
