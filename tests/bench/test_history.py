"""The benchmarks' history (bench/history.py) and runner (bench/run.py): figures parsed from a
run's output, appended with the commit and the machine, the comparison table, and a real
comparison with an earlier commit in a temporary git worktree (of a small repository made
here, whose benchmark prints a figure its commit decides)."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # the benchmarks are scripts that import their siblings by name
import history  # noqa: E402
import run  # noqa: E402
from history import Figure, Record  # noqa: E402

sys.path.remove(str(BENCH))

MACHINE = "Test CPU, 2 CPUs, 8.0 GiB, Linux 6, Python 3.11"
AT = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def test_the_figures_are_read_from_the_bench_lines_only():
    output = ["--- bench_core\n", "BENCH grid_lookup_per_s 61234.5 lookups/s\n",
              "  (98000 of 100000 points inside the service area)\n", "BENCH case_create_per_s 1012.0 cases/s\n",
              "  BENCH p95_ms 12.5 ms (wall)\n", "BENCHMARK nothing 1 x\n", "BENCH broken n/a s\n", "BENCH ratio -0.5 x\n"]
    assert history.parse(output) == [Figure("grid_lookup_per_s", 61234.5, "lookups/s"),
                                      Figure("case_create_per_s", 1012.0, "cases/s"),
                                      Figure("p95_ms", 12.5, "ms (wall)"), Figure("ratio", -0.5, "x")]


def test_figures_are_appended_one_record_each_and_read_back_in_order(tmp_path):
    path = tmp_path / "bench" / "history.jsonl"
    assert history.load(path) == []
    first = history.records([Figure("a_per_s", 10.0, "/s"), Figure("b_ms", 2.5, "ms")], "bench_x", "c1" * 20, False,
                            MACHINE, AT)
    assert history.append(path, first) == 2
    second = history.records([Figure("a_per_s", 11.0, "/s")], "bench_x", "c2" * 20, True, MACHINE, AT)
    history.append(path, second)
    assert history.load(path) == first + second
    assert len(path.read_text().splitlines()) == 3
    assert first[0] == Record("c1" * 20, False, "2026-12-03T12:00:00Z", MACHINE, "bench_x", "a_per_s", 10.0, "/s")


def _record(name: str, value: float, commit: str, machine: str = MACHINE) -> Record:
    return Record(commit, False, "2026-12-01T10:00:00Z", machine, "bench_x", name, value, "/s")


def test_the_last_record_of_a_figure_is_this_machines_where_it_has_one():
    records = [_record("a", 1, "old"), _record("b", 2, "old"), _record("a", 3, "new", "another machine"),
               _record("c", 4, "new", "another machine")]
    last = history.last_recorded(records, MACHINE)
    assert {name: r.value for name, r in last.items()} == {"a": 1, "b": 2, "c": 4}


def test_the_table_sets_today_beside_the_last_record_and_the_commit():
    today = [Figure("case_create_per_s", 1100.0, "cases/s"), Figure("new_ms", 5.0, "ms")]
    last = {"case_create_per_s": _record("case_create_per_s", 1000.0, "abcdef123456"),
            "new_ms": _record("new_ms", 4.0, "fedcba987654", "another machine")}
    at_ref = [Figure("case_create_per_s", 880.0, "cases/s"), Figure("gone_per_s", 7.0, "/s")]
    lines = history.table(today, last, MACHINE, "9b7d774", at_ref).splitlines()
    assert lines[0].split() == ["figure", "unit", "today", "last", "Δ", "last", "last", "run", "9b7d774", "Δ", "9b7d774"]
    assert lines[1].split() == ["case_create_per_s", "cases/s", "1,100.0", "1,000.0", "+10.0", "%", "abcdef123",
                                "2026-12-01", "880.0", "+25.0", "%"]
    assert lines[2].split() == ["new_ms", "ms", "5.0", "4.0", "+25.0", "%", "fedcba987", "2026-12-01", "(other",
                                "machine)", "–"]
    assert lines[3].split() == ["gone_per_s", "/s", "–", "–", "7.0"]


def test_without_a_ref_or_a_history_the_table_shows_today_alone():
    lines = history.table([Figure("a_per_s", 3.0, "/s")], {}, MACHINE).splitlines()
    assert [line.split() for line in lines] == [["figure", "unit", "today", "last", "Δ", "last", "last", "run"],
                                                ["a_per_s", "/s", "3.0", "–"]]


def test_several_runs_give_the_median_of_each_figure():
    runs = [[Figure("a_per_s", 900.0, "/s"), Figure("b_ms", 5.0, "ms")],
            [Figure("a_per_s", 300.0, "/s")],  # a neighbour took the CPU; b did not run
            [Figure("a_per_s", 1000.0, "/s"), Figure("b_ms", 7.0, "ms")]]
    assert history.median(runs) == [Figure("a_per_s", 900.0, "/s"), Figure("b_ms", 6.0, "ms")]
    assert history.median([]) == []


# --- a real repository ------------------------------------------------------------------

def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def _commit(root: Path, value: float, message: str) -> str:
    (root / "bench" / "bench_x.py").write_text(f'print("setting up")\nprint("BENCH x_per_s {value} /s")\n')
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)
    return _git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    (root / "bench").mkdir(parents=True)
    _git(root, "init", "-q")
    (root / "bench" / "history.jsonl").write_text("")
    return root


def test_a_recorded_run_carries_its_commit_and_whether_the_code_differed(repo):
    _commit(repo, 100.0, "first")
    second = _commit(repo, 120.0, "second")
    path = repo / "bench" / "history.jsonl"
    assert run.record(repo, [], sys.executable, path) == 1
    assert [(r.commit, r.dirty, r.bench, r.name, r.value) for r in history.load(path)] == [
        (second, False, "bench_x", "x_per_s", 120.0)]
    assert history.revision(repo, path) == (second, False)  # the appended history is not a change of the code
    (repo / "bench" / "bench_x.py").write_text('print("BENCH x_per_s 130 /s")\n')
    run.record(repo, ["bench_x"], sys.executable, path)
    assert [(r.dirty, r.value) for r in history.load(path)] == [(False, 120.0), (True, 130.0)]


def test_compare_runs_the_same_benchmark_at_an_earlier_commit_in_a_worktree_it_removes(repo, capsys):
    first = _commit(repo, 100.0, "first")
    _commit(repo, 125.0, "second")
    path = repo / "bench" / "history.jsonl"
    history.append(path, history.records([Figure("x_per_s", 110.0, "/s")], "bench_x", "e" * 40, False,
                                         history.machine(), AT))
    table = run.compare(repo, ["bench_x"], sys.executable, first[:7], path).splitlines()
    assert table[1].split()[:9] == ["x_per_s", "/s", "125.0", "110.0", "+13.6", "%", "eeeeeeeee", "2026-12-03", "100.0"]
    assert table[1].split()[-2:] == ["+25.0", "%"]
    assert f"[{first[:7]}] BENCH x_per_s 100.0 /s" in capsys.readouterr().out
    assert len(_git(repo, "worktree", "list").splitlines()) == 1
    assert len(history.load(path)) == 1  # comparing records nothing


def test_rounds_alternate_here_and_at_the_commit_and_keep_the_medians(repo, capsys):
    first = _commit(repo, 100.0, "first")
    # Each run here prints the next of 10, 40, 20: the median is 20.
    (repo / "bench" / "bench_x.py").write_text(
        "from pathlib import Path\n"
        "count = Path(__file__).with_name('count')\n"
        "n = int(count.read_text()) if count.exists() else 0\n"
        "count.write_text(str(n + 1))\n"
        "print(f'BENCH x_per_s {[10, 40, 20][n]} /s')\n")
    table = run.compare(repo, ["bench_x"], sys.executable, first, repo / "bench" / "history.jsonl", rounds=3)
    assert table.splitlines()[1].split()[2:4] == ["20.0", "–"]
    assert table.splitlines()[1].split()[-3:] == ["100.0", "-80.0", "%"]
    runs = [line for line in capsys.readouterr().out.splitlines() if line.startswith("---")]
    assert runs == ["--- bench_x", f"--- [{first}] bench_x"] * 3
    assert len(_git(repo, "worktree", "list").splitlines()) == 1


def test_an_unknown_benchmark_or_commit_is_refused(repo):
    _commit(repo, 1.0, "first")
    with pytest.raises(SystemExit, match="no such benchmark: bench_y"):
        run.scripts(repo, ["bench_y"])
    with pytest.raises(subprocess.CalledProcessError):
        run.compare(repo, [], sys.executable, "no-such-commit", repo / "bench" / "history.jsonl")


def test_the_command_line_takes_the_benchmarks_before_or_after_the_commit():
    assert run.arguments(["compare", "--ref", "9b7d774", "bench_core"]).benches == ["bench_core"]
    args = run.arguments(["compare", "bench_core bench_maps", "--ref", "9b7d774"])
    assert (args.action, args.ref, args.benches) == ("compare", "9b7d774", ["bench_core", "bench_maps"])
    assert run.arguments(["record"]).benches == []
    assert run.arguments(["compare", "--rounds", "3"]).rounds == 3
