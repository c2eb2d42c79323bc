"""The benchmarks' history: every figure a `make bench` run prints (`BENCH name value unit`),
kept with the commit, the date and the machine in `bench/history.jsonl` (one JSON record per
figure, appended, committed with the code), and the table `make bench-compare` prints.

Nothing here imports Django: the runner (bench/run.py) and the tests use it as plain Python.
"""

import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "bench" / "history.jsonl"
LINE = re.compile(r"^BENCH\s+(\S+)\s+(-?[0-9.]+(?:[eE][-+]?\d+)?)\s+(.+?)\s*$")


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str


@dataclass(frozen=True)
class Record:
    """One figure of one run, as a line of the history file."""

    commit: str
    dirty: bool  # the working tree differed from the commit (the history file itself aside)
    date: str  # UTC, ISO 8601 to the second
    machine: str
    bench: str  # the script, e.g. bench_core
    name: str
    value: float
    unit: str


def parse(lines: Iterable[str]) -> list[Figure]:
    """The figures among a benchmark's output lines (`BENCH name value unit`), in order."""
    found = []
    for line in lines:
        match = LINE.match(line.strip())
        if match:
            found.append(Figure(match[1], float(match[2]), match[3]))
    return found


def machine() -> str:
    """The machine in words: processor, CPUs, memory, system, Python."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                   cpu)
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        memory = f", {kib / 2**20:.1f} GiB"
    except (OSError, TypeError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def git(root: Path, *args: str) -> str:
    """The output of a git command run in the repository at `root`."""
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout.strip()


def revision(root: Path = ROOT, history: Path = HISTORY) -> tuple[str, bool]:
    """The commit checked out at `root` and whether tracked files differ from it (the history
    file aside: appending to it must not mark the next run as uncommitted code)."""
    commit = git(root, "rev-parse", "HEAD")
    paths = ["."]
    if history.resolve().is_relative_to(root.resolve()):
        paths.append(f":(exclude){history.resolve().relative_to(root.resolve())}")
    return commit, bool(git(root, "status", "--porcelain", "--untracked-files=no", "--", *paths))


def records(figures: Iterable[Figure], bench: str, commit: str, dirty: bool, machine_: str,
            at: dt.datetime | None = None) -> list[Record]:
    """The history records of one script's figures, measured now (or `at`)."""
    date = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [Record(commit, dirty, date, machine_, bench, f.name, f.value, f.unit) for f in figures]


def append(path: Path, new: Iterable[Record]) -> int:
    """Append records to the history file (made if missing); returns how many."""
    lines = [json.dumps(asdict(r), ensure_ascii=False, sort_keys=True) + "\n" for r in new]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.writelines(lines)
    return len(lines)


def load(path: Path) -> list[Record]:
    """Every record of the history file, oldest first ([] when there is none)."""
    if not path.exists():
        return []
    return [Record(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def last_recorded(history: Iterable[Record], machine_: str) -> dict[str, Record]:
    """The latest record of each figure, from this machine where it has one (figures measured
    elsewhere are only comparable with care: the table marks them)."""
    latest: dict[str, Record] = {}
    here: dict[str, Record] = {}
    for record in history:
        latest[record.name] = record
        if record.machine == machine_:
            here[record.name] = record
    return {**latest, **here}


def median(runs: list[list[Figure]]) -> list[Figure]:
    """The median of each figure over several runs (in the order of first appearance): on a
    shared machine one run can be slowed by a neighbour, the median of a few is steadier."""
    values: dict[str, list[float]] = {}
    units: dict[str, str] = {}
    for figures in runs:
        for f in figures:
            values.setdefault(f.name, []).append(f.value)
            units[f.name] = f.unit
    return [Figure(name, statistics.median(found), units[name]) for name, found in values.items()]


def _change(value: float, base: float | None) -> str:
    if base is None:
        return ""
    if base == 0:
        return "" if value == 0 else "new"
    return f"{100 * (value - base) / abs(base):+.1f} %"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def table(today: list[Figure], last: dict[str, Record], machine_: str, ref: str | None = None,
          at_ref: list[Figure] | None = None) -> str:
    """Today's figures beside the last recorded ones (with the change) and, if given, beside
    those measured at the commit `ref` in the same session."""
    at_ref = at_ref or []
    ref_values = {f.name: f.value for f in at_ref}
    names = list(dict.fromkeys([f.name for f in today] + [f.name for f in at_ref]))
    units = {f.name: f.unit for f in [*at_ref, *today]}
    values = {f.name: f.value for f in today}
    header = ["figure", "unit", "today", "last", "Δ last", "last run"]
    if ref:
        header += [ref[:9], f"Δ {ref[:9]}"]
    rows = [header]
    for name in names:
        value, old = values.get(name), last.get(name)
        where = ""
        if old:
            where = f"{old.commit[:9]}{'+' if old.dirty else ''} {old.date[:10]}"
            where += "" if old.machine == machine_ else " (other machine)"
        row = [name, units[name], _number(value), _number(old.value if old else None),
               _change(value, old.value if old else None) if value is not None else "", where]
        if ref:
            base = ref_values.get(name)
            row += [_number(base), _change(value, base) if value is not None else ""]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    numeric = {2, 3, 4, 6, 7}
    return "\n".join("  ".join(cell.rjust(w) if i in numeric else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(r, widths, strict=True))).rstrip()
                     for r in rows)
