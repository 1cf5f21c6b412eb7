"""From git identities to Person nodes.

After `.mailmap`, one email address (compared case-insensitively) is one person; an
identity without an address is known by its name alone. The address itself never leaves
this module: a Person carries only its SHA-256 (`email_hash`, as the API stores it), and
the id of a person first seen in git is derived from that hash. Bots (GitHub's
`name[bot]` accounts) write commits but are not people: their commits count, they get no
Person.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from maestro_graph.domain import MAX_NAME_LENGTH, hash_email
from maestro_graph.ingest.git.log import Identity

_BOT_ADDRESSES = frozenset({"noreply@github.com", "action@github.com", "actions@github.com"})


@dataclass(frozen=True)
class GitPerson:
    key: str  # "email:<address>" or "name:<name>", lowercased: never stored
    name: str
    email_hash: str | None

    @property
    def derived_id(self) -> str:
        """The id of a Person first met in git: stable across imports and machines."""
        if self.email_hash:
            return f"git-{self.email_hash[:24]}"
        return "git-" + hashlib.sha256(self.key.encode()).hexdigest()[:24]


def identity_key(identity: Identity) -> str:
    email = identity.email.strip().lower()
    return f"email:{email}" if email else f"name:{identity.name.strip().lower()}"


def is_bot(identity: Identity) -> bool:
    email = identity.email.strip().lower()
    return (
        identity.name.strip().lower().endswith("[bot]")
        or email.split("@")[0].endswith("[bot]")
        or email in _BOT_ADDRESSES
    )


def people_of(identities: Iterable[Identity]) -> dict[str, GitPerson]:
    """One GitPerson per key (bots left out); its name is the one it used most often."""
    names: dict[str, Counter] = {}
    emails: dict[str, str] = {}
    for identity in identities:
        if is_bot(identity) or not (identity.email.strip() or identity.name.strip()):
            continue
        key = identity_key(identity)
        names.setdefault(key, Counter())[identity.name.strip() or identity.email.strip()] += 1
        if identity.email.strip() and "@" in identity.email:
            emails[key] = identity.email
    people = {}
    for key, counter in names.items():
        # Most frequent, ties broken by the name itself so every import picks the same.
        name = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
        # Git takes a name of any length; a Person's name is range-indexed, and Neo4j refuses
        # an index entry over about 8 kB, which would fail the whole import.
        people[key] = GitPerson(key, name[:MAX_NAME_LENGTH], hash_email(emails[key]) if key in emails else None)
    return people
