"""Settings from the environment (and an optional `.env`), never from code.

Neo4j settings use the names the Neo4j tooling already uses (NEO4J_URI, ...);
everything else is prefixed MAESTRO_.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "maestro-graph"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAESTRO_", env_file=".env", extra="ignore")

    profile: Literal["dev", "production"] = "production"
    data_dir: Path = Field(default_factory=_default_data_dir)

    # An external Neo4j (cluster, Aura, Docker). When unset, the managed local server is used.
    neo4j_uri: str | None = Field(None, validation_alias=AliasChoices("NEO4J_URI", "MAESTRO_NEO4J_URI"))
    neo4j_user: str = Field("neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME", "MAESTRO_NEO4J_USER"))
    neo4j_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("NEO4J_PASSWORD", "MAESTRO_NEO4J_PASSWORD")
    )
    neo4j_database: str = Field("neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "MAESTRO_NEO4J_DATABASE"))
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474

    # Every list in the API is a bounded page.
    page_size_default: int = Field(20, ge=1)
    page_size_max: int = Field(100, ge=1)

    # Bulk writes: rows per UNWIND transaction.
    import_batch_size: int = Field(5000, ge=1)

    @property
    def is_dev(self) -> bool:
        return self.profile == "dev"


@lru_cache
def get_settings() -> Settings:
    return Settings()
