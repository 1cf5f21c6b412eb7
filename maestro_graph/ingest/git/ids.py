"""Ids made from names found in repositories: package names, folders, remote paths.

Those names are written by whoever wrote the repository, and may hold spaces or control
characters that an id may not (an Artifact `pkg:npm/my package` could then be neither
fetched nor deleted through the API). Every character the id rule refuses is
percent-encoded, as in a URL or a Package URL, and `%` itself too, so two different names
never become one id. Which characters those are is asked of `domain.valid_id`, the one
place the rule is written, rather than restated here.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from maestro_graph.domain import InvalidInput, valid_id


@lru_cache(maxsize=4096)
def _kept(character: str) -> bool:
    if character == "%":
        return False  # the escape character: encoded, so that decoding stays unambiguous
    try:
        return valid_id(character, "character") == character
    except InvalidInput:
        return False


def id_part(name: str) -> str:
    """`name` with every character an id may not hold percent-encoded (its UTF-8 bytes)."""
    return "".join(character if _kept(character) else quote(character, safe="") for character in name)


def checked_id(value: str) -> str | None:
    """`value` when the id rule accepts it as it is (e.g. not over the length limit), else None."""
    try:
        return value if valid_id(value) == value else None
    except InvalidInput:
        return None
