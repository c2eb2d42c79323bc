"""Run the benchmarks: `make bench` (record) and `make bench-compare` (compare).

    run.py record [BENCH ...]             run them, append every figure to bench/history.jsonl
    run.py compare [--ref COMMIT] [--rounds N] [BENCH ...]
                                          run them, print the figures beside the last recorded
                                          ones and, with --ref, beside the same benchmarks run
                                          at COMMIT (checked out in a temporary git worktree),
                                          one after the other on this machine; with --rounds,
                                          N runs of each, alternating, and their medians

A BENCH is a script's name (`bench_core`, `bench_core.py`); none means every bench/bench_*.py.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import history
from history import HISTORY, ROOT, Figure


def scripts(root: Path, names: list[str]) -> list[str]:
    """The benchmark scripts to run (stems, in order): the named ones, else every one."""
    if not names:
        return sorted(p.stem for p in (root / "bench").glob("bench_*.py"))
    stems = [Path(n).stem for n in names]
    missing = [s for s in stems if not (root / "bench" / f"{s}.py").exists()]
    if missing:
        raise SystemExit(f"no such benchmark: {', '.join(missing)}")
    return stems


def run_script(root: Path, stem: str, python: str, label: str = "") -> list[Figure]:
    """Run one benchmark script of the tree at `root`, echoing its output (each line after
    `label`), and return its figures. A failing script stops everything."""
    print(f"--- {label}{stem}", flush=True)
    with subprocess.Popen([python, str(root / "bench" / f"{stem}.py")], cwd=root, stdout=subprocess.PIPE,
                          text=True, bufsize=1) as process:
        lines = []
        for line in process.stdout:
            print(f"{label}{line}", end="", flush=True)
            lines.append(line)
    if process.returncode:
        raise SystemExit(f"{label}{stem} failed (exit status {process.returncode})")
    return history.parse(lines)


@contextlib.contextmanager
def checkout(root: Path, ref: str) -> Iterator[Path]:
    """The commit `ref` in a temporary git worktree, removed afterwards. It shares this tree's
    virtual environment, and a `shared` folder beside it points to the one beside this tree,
    so the settings' default paths (../shared/data) resolve as they do here."""
    commit = history.git(root, "rev-parse", "--verify", f"{ref}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as parent:
        tree = Path(parent) / "tree"
        history.git(root, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            if (root / ".venv").exists():
                (tree / ".venv").symlink_to((root / ".venv").resolve())
            if (root.parent / "shared").exists():
                (Path(parent) / "shared").symlink_to((root.parent / "shared").resolve())
            prepare(tree)
            yield tree
        finally:
            history.git(root, "worktree", "remove", "--force", str(tree))


def prepare(tree: Path) -> None:
    """What `make bench` has done before the benchmarks run (compiled messages, collected
    static files); the benchmarks make their own databases."""
    if (tree / "manage.py").exists() and (tree / ".venv").exists():
        python = str(tree / ".venv" / "bin" / "python")
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "URBANMGMT_VAR_DIR")}
        for command in (["compilemessages", "--ignore=.venv", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([python, "manage.py", *command], cwd=tree, env=env, check=True)


def record(root: Path, names: list[str], python: str, path: Path = HISTORY) -> int:
    """Run the benchmarks and append each one's figures to the history as it finishes."""
    commit, dirty = history.revision(root, path)
    machine = history.machine()
    count = 0
    for stem in scripts(root, names):
        figures = run_script(root, stem, python)
        count += history.append(path, history.records(figures, stem, commit, dirty, machine))
    print(f"{count} figures of {commit[:9]}{' (uncommitted changes)' if dirty else ''} appended to "
          f"{path.relative_to(root) if path.is_relative_to(root) else path}")
    return count


def compare(root: Path, names: list[str], python: str, ref: str | None, path: Path = HISTORY,
            rounds: int = 1) -> str:
    """Run the benchmarks here (and at `ref`, alternating script by script), `rounds` times
    each, and return the table of the median figures."""
    stems = scripts(root, names)
    machine = history.machine()
    last = history.last_recorded(history.load(path), machine)
    today: list[list[Figure]] = []
    at_ref: list[list[Figure]] = []
    with checkout(root, ref) if ref else contextlib.nullcontext() as tree:
        for stem in stems:
            for _round in range(rounds):
                today.append(run_script(root, stem, python))
                if tree is None:
                    continue
                if (tree / "bench" / f"{stem}.py").exists():
                    at_ref.append(run_script(tree, stem, python, label=f"[{ref}] "))
                else:
                    print(f"--- [{ref}] has no {stem}")
    return history.table(history.median(today), last, machine, ref, history.median(at_ref))


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; BENCHES="a b" from make arrives as one word or several."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["record", "compare"])
    parser.add_argument("benches", nargs="*", help="bench_core … (default: every bench/bench_*.py)")
    parser.add_argument("--ref", help="compare: also run the benchmarks at this commit")
    parser.add_argument("--history", type=Path, default=HISTORY)
    parser.add_argument("--rounds", type=int, default=1,
                        help="compare: run each benchmark this many times (alternating), show the medians")
    args = parser.parse_intermixed_args(argv)
    args.benches = [b for item in args.benches for b in item.split()]
    return args


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    benches = args.benches
    if args.action == "record":
        record(ROOT, benches, sys.executable, args.history)
    else:
        print(compare(ROOT, benches, sys.executable, args.ref, args.history, args.rounds))


if __name__ == "__main__":
    main()
