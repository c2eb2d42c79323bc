"""The project's number formats (settings.FORMAT_MODULE_PATH): Django's own, but for a count
grouped by three with a comma in Chinese as in English ("135,000", 千分撇 of GB/T 15835), where a
page asks for grouping (humanize's intcomma). Nothing is grouped unless asked:
USE_THOUSAND_SEPARATOR stays off, so that ids and codes are never written "1,234"."""
