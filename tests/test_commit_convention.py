"""The commit convention (docs/CONTRIBUTING.md), checked on messages and on the history since
it was written down."""

import importlib.util
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("commit_subjects", ROOT / "scripts" / "commit_subjects.py")
commit_subjects = importlib.util.module_from_spec(spec)
spec.loader.exec_module(commit_subjects)


def test_a_short_subject_in_the_imperative_with_a_body_passes():
    assert commit_subjects.problems("Keep the history's triggers through migrations\n\nMeasured: 5 ms.\n") == []


@pytest.mark.parametrize("message, problem", [
    ("x" * 73, "73 characters"),
    ("Fix the map.", "full stop"),
    ("Added the queue", "imperative"),
    ("Adds the queue", "imperative"),
    ("Fixing the queue", "imperative"),
    ("Fix the queue\nbody right under it", "blank line"),
    ("", "empty"),
])
def test_it_names_what_breaks_the_convention(message, problem):
    assert any(problem in found for found in commit_subjects.problems(message))


def test_words_ending_like_a_past_tense_but_imperative_pass():
    for subject in ("Bring the demo into demo/", "Embed the catalogue", "Speed up the import", "Merge s5-steps: a"):
        assert commit_subjects.problems(subject) == []


def test_every_commit_since_the_convention_follows_it():
    try:
        subprocess.run(["git", "rev-parse", "--verify", f"{commit_subjects.SINCE}^{{commit}}"], cwd=ROOT,
                       capture_output=True, check=True)
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip(f"not a git checkout holding {commit_subjects.SINCE} (an archive or a shallow clone)")
    bad = [(sha, message.splitlines()[0], commit_subjects.problems(message))
           for sha, message in commit_subjects.range_messages(f"{commit_subjects.SINCE}..HEAD")
           if commit_subjects.problems(message)]
    assert bad == []
