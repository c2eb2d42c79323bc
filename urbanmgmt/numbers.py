"""Find anything by its number: the core finds cases and 12345 tickets; a channel that numbers
things of its own (the video channel's candidates) registers a finder here, in its
AppConfig.ready, so that the map's search box finds them without the core or the map importing
the channel."""

from collections.abc import Callable

# (user, text) → the matches `user` may see, each a dict with at least "id" and "exact"
Finder = Callable[[object, str], list[dict]]
_finders: dict[str, Finder] = {}


def register_finder(kind: str, finder: Finder) -> None:
    """Let `finder` answer for `kind` (e.g. "candidates") in every search by number."""
    _finders[kind] = finder


def find_registered(user, text: str) -> dict[str, list[dict]]:
    """Each registered kind's matches for `text`, within what `user` may see."""
    return {kind: finder(user, text) for kind, finder in _finders.items()}
