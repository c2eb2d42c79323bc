"""Benchmark of object-level access (issue 13, point 3), over real HTTP against gunicorn.

The access matrix of the tests (tests/access/matrix.py: every persona × every kind of object
× own or other's) on a fresh SpatiaLite database with the test city, served as `make run`
serves. Prints access_matrix_checks (cells checked) and access_leaks (cells the policy denies
that were answered with the object); lists every cell that differs from the policy.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from common import ROOT, bench, serve, setup_django


def main() -> None:
    media = Path(tempfile.mkdtemp(prefix="bench-access-media-"))
    os.environ["MEDIA_ROOT"] = str(media)
    db = setup_django("bench_access.sqlite3")
    try:
        run(db, media)
    finally:
        shutil.rmtree(media, ignore_errors=True)


def run(db: Path, media: Path) -> None:
    from tests.access.matrix import leaks, run_matrix, unexpected
    from tests.access.world import build_world
    from tests.conftest import load_city

    load_city(media)
    world = build_world()
    with serve(db, workers=1, threads=4, MEDIA_ROOT=str(media)) as (_server, port):
        cells = run_matrix(world, f"http://127.0.0.1:{port}")
    for cell in unexpected(cells):
        print(f"access: {cell}", file=sys.stderr)
    bench("access_matrix_checks", len(cells), "count")
    bench("access_leaks", len(leaks(cells)), "count")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
