"""The shape of the graph, declared once.

Labels, vocabularies and relationship types (with their endpoints and the GraphQL fields
that walk them) are written here and nowhere else. The rest is derived from this module:
the GraphQL enums, the relation page patterns and their prefetch map, the edge write and
delete queries, the usage graph the models learn from and the Explorer's graph view.
`tests/test_graph_model.py` holds schema.graphql, the Cypher and the Explorer to it.

Adding a relationship type means adding a `RelationshipType` below; the pages, prefetch
and Explorer follow, and the test names what still has to be written by hand (a mutation,
a resolver field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# --- vocabularies ------------------------------------------------------------------------

ARTIFACT_KINDS = ("model", "dataset", "notebook", "pipeline", "feature", "library", "prompt", "other")
PERSON_KINDS = ("person", "team")
MEMBER_ROLES = ("owner", "maintainer", "uploader", "contributor", "viewer")
PROJECT_STATUSES = ("active", "archived", "removed")
# Weekly figures kept as Metric records: from a project's git history (`import-git`) and
# from its MLflow runs (`import-mlflow`).
GIT_METRICS = ("commits", "authors", "churn", "bus_factor", "collaboration")
MLFLOW_METRICS = ("mlflow_runs", "mlflow_best_metric")
PROCESS_METRICS = GIT_METRICS + MLFLOW_METRICS


@dataclass(frozen=True)
class Vocabulary:
    graphql_enum: str  # the GraphQL enum that carries it
    values: tuple[str, ...]  # stored values; the enum's names are their upper case
    description: str | None = None


VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary("ArtifactKind", ARTIFACT_KINDS, "What an artifact is."),
    Vocabulary(
        "PersonKind", PERSON_KINDS, "Whether a person node stands for one person or a group (e.g. a team address)."
    ),
    Vocabulary("MemberRole", MEMBER_ROLES),
    Vocabulary("ProjectStatus", PROJECT_STATUSES),
    Vocabulary(
        "MetricName", PROCESS_METRICS, "A weekly process metric computed from a project's git history or MLflow runs."
    ),
)

# --- nodes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeType:
    label: str  # the Neo4j label; also the GraphQL type's name
    # How a page of these nodes is ordered when reached through a relationship: people by
    # id (names repeat, and some are group addresses), everything else by name, then id.
    page_order: tuple[str, ...] = ("name", "id")


PROJECT = NodeType("Project")
ARTIFACT = NodeType("Artifact")
PERSON = NodeType("Person", page_order=("id",))
TEAM = NodeType("Team")

NODE_TYPES: tuple[NodeType, ...] = (PROJECT, ARTIFACT, PERSON, TEAM)

# --- relationships -----------------------------------------------------------------------


@dataclass(frozen=True)
class RelationshipType:
    """`(start)-[:name]->(end)`, walked by `start_field` on the start's GraphQL type and by
    `end_field` on the end's (in the opposite direction)."""

    name: str
    start: NodeType
    end: NodeType
    start_field: str  # e.g. Project.uses
    end_field: str  # e.g. Artifact.usedBy
    description: str


USES = RelationshipType(
    "USES",
    PROJECT,
    ARTIFACT,
    "uses",
    "usedBy",
    "a project uses an artifact (count, usage kinds, context, first and last use)",
)
MEMBER_OF = RelationshipType(
    "MEMBER_OF", PERSON, PROJECT, "projects", "members", "a person works on a project (roles, since)"
)
CREATED = RelationshipType("CREATED", PERSON, ARTIFACT, "created", "creators", "a person made an artifact")
DERIVED_FROM = RelationshipType(
    "DERIVED_FROM",
    ARTIFACT,
    ARTIFACT,
    "derivedFrom",
    "derivatives",
    "an artifact was built from another (a fine-tuned model, a cleaned dataset)",
)
IN_TEAM = RelationshipType("IN_TEAM", PERSON, TEAM, "teams", "members", "a person belongs to a team")

RELATIONSHIP_TYPES: tuple[RelationshipType, ...] = (USES, MEMBER_OF, CREATED, DERIVED_FROM, IN_TEAM)

# The relationships the models learn from, by the name of the usage graph's edge array that
# holds each one (`ml/usage_graph.py`). Teams are not model nodes, so IN_TEAM is left out.
MODEL_RELATIONSHIPS: dict[str, RelationshipType] = {
    "uses": USES,
    "members": MEMBER_OF,
    "created": CREATED,
    "derived": DERIVED_FROM,
}


# --- records: what the service keeps beside the domain graph -------------------------------
# Process metrics, git history, deployments, the models' answers, and the service's own
# books (auth, audit, migrations). No GraphQL connection walks these relationships; they are
# declared so that every label and relationship type in the Cypher is one named here.

RECORD_LABELS = (
    "Metric",
    "GitRepository",
    "Commit",
    "Deployment",
    "PipelineRun",  # process metrics and their sources
    "Model",
    "Prediction",  # model versions and what they said
    "Integration",
    "WebhookDelivery",  # CI/CD senders
    "OAuthClient",
    "SigningKey",
    "RevokedToken",
    "AuditEvent",
    "Migration",  # the service's books
    "PendingEvent",
    "EventSequence",  # live events: AuditEvents not yet numbered, and the numbering
    "OutgoingWebhook",
    "OutgoingDelivery",  # webhooks this service calls, and each delivery made
    "MlflowExperiment",
    "MlflowRun",  # experiment tracking, from `import-mlflow`
)


@dataclass(frozen=True)
class RecordRelationship:
    name: str
    start: tuple[str, ...]  # labels
    end: tuple[str, ...]
    description: str


RECORD_RELATIONSHIPS: tuple[RecordRelationship, ...] = (
    RecordRelationship("HAS_METRIC", ("Project",), ("Metric",), "a process or outcome figure of a project"),
    RecordRelationship("HAS_REPOSITORY", ("Project",), ("GitRepository",), "a project's source repository"),
    RecordRelationship("IN", ("Commit",), ("GitRepository",), "a commit of a repository"),
    RecordRelationship("HAS_DEPLOYMENT", ("Project",), ("Deployment",), "a deployment, for DORA figures"),
    RecordRelationship("HAS_PIPELINE_RUN", ("Project",), ("PipelineRun",), "a CI run, for DORA figures"),
    RecordRelationship("MADE", ("Model",), ("Prediction",), "a model version made a prediction"),
    RecordRelationship("ABOUT", ("Prediction",), ("Project", "Artifact"), "what a prediction is about"),
    RecordRelationship(
        "WITHOUT",
        ("Prediction",),
        ("Artifact",),
        "an outcome prediction's change when the model is evaluated without an artifact the project uses",
    ),
    RecordRelationship("RECOMMENDED", ("Project",), ("Artifact",), "a model version recommended an artifact"),
    RecordRelationship("SUGGESTED", ("Project",), ("Person",), "a model version suggested a person"),
    RecordRelationship(
        "HAS_EXPERIMENT", ("Project",), ("MlflowExperiment",), "an MLflow experiment imported into the project"
    ),
    RecordRelationship("HAS_RUN", ("Project",), ("MlflowRun",), "an MLflow run of the project, for weekly figures"),
)


@dataclass(frozen=True)
class Relation:
    """One direction of a relationship type, seen from the node a page belongs to."""

    key: str  # e.g. "artifact_used_by": the anchor's label and the field, in snake case
    anchor: NodeType
    field: str  # the GraphQL connection field on the anchor's type
    relationship: RelationshipType
    outgoing: bool  # True when the anchor is the relationship's start

    @property
    def neighbour(self) -> NodeType:
        return self.relationship.end if self.outgoing else self.relationship.start

    def pattern(self, s: str, r: str, n: str) -> str:
        """The Cypher pattern from anchor variable `s` through `r` to neighbour `n`; the names
        are the query builder's own, never user input."""
        rel = f"[{r}:{self.relationship.name}]"
        neighbour = f"({n}:{self.neighbour.label})"
        return f"({s})-{rel}->{neighbour}" if self.outgoing else f"{neighbour}-{rel}->({s})"

    def order_by(self, n: str) -> str:
        return ", ".join(f"{n}.{prop}" for prop in self.neighbour.page_order)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _relations() -> dict[str, Relation]:
    relations: dict[str, Relation] = {}
    for rel in RELATIONSHIP_TYPES:
        for anchor, field, outgoing in ((rel.start, rel.start_field, True), (rel.end, rel.end_field, False)):
            key = f"{anchor.label.lower()}_{_snake(field)}"
            relations[key] = Relation(key, anchor, field, rel, outgoing)
    return relations


RELATIONS: dict[str, Relation] = _relations()


def connection_fields() -> dict[str, dict[str, str]]:
    """GraphQL type -> connection field -> relation key: what the prefetch planner reads ahead."""
    fields: dict[str, dict[str, str]] = {}
    for relation in RELATIONS.values():
        fields.setdefault(relation.anchor.label, {})[relation.field] = relation.key
    return fields


def relationship(name: str) -> RelationshipType:
    for rel in RELATIONSHIP_TYPES:
        if rel.name == name:
            return rel
    raise KeyError(name)


def explorer_view() -> dict[str, Any]:
    """What the Explorer's graph view needs to know of the graph, as JSON."""
    return {
        "nodeTypes": [node.label for node in NODE_TYPES],
        "relationshipTypes": [
            {
                "name": rel.name,
                "start": rel.start.label,
                "end": rel.end.label,
                "startField": rel.start_field,
                "endField": rel.end_field,
                "description": rel.description,
            }
            for rel in RELATIONSHIP_TYPES
        ],
        "relations": [
            {
                "anchor": r.anchor.label,
                "field": r.field,
                "relationship": r.relationship.name,
                "neighbour": r.neighbour.label,
                "outgoing": r.outgoing,
            }
            for r in RELATIONS.values()
        ],
        "vocabularies": {v.graphql_enum: list(v.values) for v in VOCABULARIES},
    }
