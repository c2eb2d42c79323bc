"""GeoDjango's SpatiaLite backend with its schema editor mended (see schema.py)."""
