"""What every resolver can reach for one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from maestro_graph.auth.principal import Principal
from maestro_graph.config import Settings
from maestro_graph.db.graph import GraphDB
from maestro_graph.graphql.loaders import Loaders
from maestro_graph.graphql.pagination import Window, window


@dataclass
class Context:
    db: GraphDB
    settings: Settings
    request: Any = None
    response: Any = None
    round_trips: list[int] = field(default_factory=lambda: [0])
    # Who is calling (set by the /graphql guard); None means nobody, and every permission refuses.
    principal: Principal | None = None
    loaders: Loaders = field(init=False)
    # Facts about the request's document that several resolvers need, worked out once.
    memo: dict[str, Any] = field(default_factory=dict)
    # A WebSocket's `connection_init` payload (graphql-transport-ws sets it).
    connection_params: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db)

    def window(self, first: int | None, after: str | None) -> Window:
        return window(first, after, self.settings.page_size_default, self.settings.page_size_max)
