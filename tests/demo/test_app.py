"""The demo city and the simulated year are their own app: their commands are the demo's."""

from django.core.management import get_commands


def test_the_demo_commands_belong_to_the_demo_app():
    commands = get_commands()
    assert {name: commands[name] for name in ("load_demo", "simulate_year")} == {"load_demo": "demo",
                                                                                 "simulate_year": "demo"}
