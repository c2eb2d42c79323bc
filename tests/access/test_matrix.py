"""The access matrix against the live server: every persona × every kind of object × own or
other's, over real HTTP with each persona's session (tests/access/matrix.py holds the policy)."""

import pytest

from tests.access.matrix import leaks, run_matrix, unexpected
from tests.access.world import build_world

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_every_persona_gets_what_the_policy_gives_and_nothing_else(empty_history_after, city, media_through_the_app, live_server):
    cells = run_matrix(build_world(), live_server.url)
    assert len(cells) >= 300
    wrong = unexpected(cells)
    assert not wrong, f"{len(wrong)} of {len(cells)} cells ({len(leaks(cells))} leaks):\n" + "\n".join(map(str, wrong))
