"""Check commit messages against the house convention (docs/CONTRIBUTING.md): a subject of at
most 72 characters in the imperative, no full stop at its end, a blank line before the body.

    python scripts/commit_subjects.py [REV_RANGE]     # the commits of a range (default: since the convention)
    python scripts/commit_subjects.py --file MSGFILE  # one message (a commit-msg hook: `make hooks`)
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the convention was written down; older subjects are left as they are.
SINCE = "9b7d774"
MAX_SUBJECT = 72
# Words a subject in the imperative does not start with ("Added x", "Adds x", "Adding x").
NOT_IMPERATIVE_ENDINGS = ("ed", "ing")
NOT_IMPERATIVE = {"adds", "fixes", "makes", "moves", "removes", "updates", "uses", "changes", "keeps", "lets"}


def problems(message: str) -> list[str]:
    """What is wrong with one commit message (empty when it follows the convention)."""
    lines = [line for line in message.splitlines() if not line.startswith("#")]
    subject = lines[0].strip() if lines else ""
    found = []
    if not subject:
        return ["the subject is empty"]
    if len(subject) > MAX_SUBJECT:
        found.append(f"the subject has {len(subject)} characters (at most {MAX_SUBJECT})")
    if subject.endswith("."):
        found.append("the subject ends with a full stop")
    first = subject.split()[0].lower().rstrip(":")
    if not subject.startswith(("Merge ", "Revert ")) and (first in NOT_IMPERATIVE or (
            first.endswith(NOT_IMPERATIVE_ENDINGS) and first not in {"need", "feed", "speed", "embed", "bring", "string"})):
        found.append(f"the subject starts with {first!r}: write it in the imperative (Add, Fix, Move …)")
    if len(lines) > 1 and lines[1].strip():
        found.append("no blank line between the subject and the body")
    return found


def range_messages(revisions: str) -> list[tuple[str, str]]:
    """(short hash, message) of each commit of the range, oldest first."""
    out = subprocess.run(["git", "log", "--reverse", "--format=%h%x00%B%x01", revisions], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [tuple(entry.strip("\n").split("\0", 1)) for entry in out.split("\x01") if entry.strip()]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--file"]:
        found = problems(Path(argv[1]).read_text(encoding="utf-8"))
        for problem in found:
            print(f"commit message: {problem}", file=sys.stderr)
        return 1 if found else 0
    bad = 0
    for sha, message in range_messages(argv[0] if argv else f"{SINCE}..HEAD"):
        for problem in problems(message):
            bad += 1
            print(f"{sha} {message.splitlines()[0][:60]!r}: {problem}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
