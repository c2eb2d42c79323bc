"""Put the official GeoReport v2 JSON schemas where the Open311 tests read them.

Source: github.com/open311/schema-validation, commit 47e06a443f3620b51d7dfb107e1b4d39898d7a1a,
path schema/georeport-v2/ (request, requests, service, services, service-definition .json).
That repository states no licence (no LICENSE file, "license": "" in its composer.json), so
its files are not committed here: this script takes them from a local clone of that
repository, checks each file's SHA-256 against the pinned version, and writes them to
OPEN311_SCHEMA_DIR (default var/open311-schemas/georeport-v2/). Nothing is downloaded at test
time (city networks and CI are offline); without the files the official-schema test is skipped.

    .venv/bin/python scripts/open311_schemas.py --git-dir PATH/TO/schema-validation/.git
"""

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = "open311/schema-validation"
COMMIT = "47e06a443f3620b51d7dfb107e1b4d39898d7a1a"
FOLDER = "schema/georeport-v2"
SHA256 = {
    "request.json": "0491c947b970e245dbbf310480dba4929fd30965e2fb92560aa40ecefcf1c8ba",
    "requests.json": "21d5e0c7786a80045eec0137598c24746d7e6a2c9875c647433998e5962c61f5",
    "service.json": "3b46ef5fffec98b3638873f45dc6a675d051bf097119114414be08eac39ab961",
    "services.json": "e97115ff427221f21b704edf042dddd96c7b21856689e0c0cd6e59350969dce2",
    "service-definition.json": "7fd24252050788877aa14671b64fd2b80c49e691a8ca57126160bd09948e9eb8",
}
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "var" / "open311-schemas" / "georeport-v2"


def target() -> Path:
    return Path(os.environ.get("OPEN311_SCHEMA_DIR") or DEFAULT_DIR)


def fetch(name: str, git_dir: str) -> bytes:
    return subprocess.run(["git", "--git-dir", git_dir, "show", f"{COMMIT}:{FOLDER}/{name}"],
                          check=True, capture_output=True).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git-dir", required=True, help="the git directory of a local clone of " + REPOSITORY)
    options = parser.parse_args()
    out = target()
    out.mkdir(parents=True, exist_ok=True)
    for name, digest in SHA256.items():
        data = fetch(name, options.git_dir)
        if hashlib.sha256(data).hexdigest() != digest:
            print(f"{name}: not the pinned version (SHA-256 differs)", file=sys.stderr)
            return 1
        (out / name).write_bytes(data)
    print(f"{len(SHA256)} schemas of {REPOSITORY}@{COMMIT[:7]} in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
