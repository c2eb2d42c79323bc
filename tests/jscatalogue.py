"""Read Django's JavaScript catalogue (/jsi18n/) as the pages' scripts get it."""

import json
import re


def catalogue(client) -> dict:
    """The translations the catalogue hands the scripts, msgid → text (a list for plurals)."""
    text = client.get("/jsi18n/").content.decode()
    found = re.search(r"const newcatalog = (\{.*?\});\n", text, re.S)
    return json.loads(found[1]) if found else {}
