"""`maestro-graph seed --demo`: a small, deterministic ML-team graph to explore.

Projects succeed more often when they use artifacts of high hidden quality and when
their members have worked together before, so the graph has structure worth finding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import neo4j

from maestro_graph.graph_model import CREATED, DERIVED_FROM, IN_TEAM, MEMBER_OF, USES
from maestro_graph.repositories import edges, nodes

TEAMS = {
    "team:vision": ("Vision", "Image and video understanding"),
    "team:nlp": ("Language", "Text classification, retrieval and assistants"),
    "team:recsys": ("Recommendations", "Ranking and personalisation"),
    "team:platform": ("ML Platform", "Training infrastructure, pipelines and feature store"),
}

FIRST_NAMES = [
    "Ada",
    "Bruno",
    "Chen",
    "Dara",
    "Emeka",
    "Farah",
    "Goran",
    "Hana",
    "Ines",
    "Jonas",
    "Kenji",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tala",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
]
LAST_NAMES = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Haddad", "Novak", "Kim", "Rossi", "Mehta"]

# (id, name, kind, team, description)
ARTIFACTS = [
    ("lib:pytorch", "pytorch", "library", "team:platform", "Tensors and neural networks with GPU acceleration"),
    ("lib:sklearn", "scikit-learn", "library", "team:platform", "Classic machine learning in Python"),
    ("lib:transformers", "transformers", "library", "team:nlp", "Pretrained transformer models for text"),
    ("lib:lightgbm", "lightgbm", "library", "team:recsys", "Gradient boosted trees"),
    ("lib:opencv", "opencv", "library", "team:vision", "Computer vision primitives"),
    (
        "model:resnet50",
        "resnet50-imagenet",
        "model",
        "team:vision",
        "ResNet-50 image classifier pretrained on ImageNet",
    ),
    (
        "model:resnet50-defects",
        "resnet50-defects",
        "model",
        "team:vision",
        "ResNet-50 fine-tuned to spot manufacturing defects",
    ),
    ("model:vit-small", "vit-small", "model", "team:vision", "Small vision transformer for image classification"),
    ("model:bert-base", "bert-base", "model", "team:nlp", "BERT base encoder for English text"),
    ("model:bert-intents", "bert-support-intents", "model", "team:nlp", "BERT fine-tuned on support ticket intents"),
    ("model:minilm", "minilm-embeddings", "model", "team:nlp", "Sentence embeddings for semantic search"),
    (
        "model:two-tower",
        "two-tower-recommender",
        "model",
        "team:recsys",
        "Two-tower retrieval model for recommendations",
    ),
    ("model:gbdt-churn", "gbdt-churn", "model", "team:recsys", "Gradient boosted churn classifier"),
    (
        "data:imagenet-subset",
        "imagenet-subset",
        "dataset",
        "team:vision",
        "Curated ImageNet subset for transfer learning",
    ),
    ("data:defect-images", "defect-images", "dataset", "team:vision", "Labelled photos of manufacturing defects"),
    (
        "data:support-tickets",
        "support-tickets",
        "dataset",
        "team:nlp",
        "Anonymised customer support tickets with intents",
    ),
    ("data:clickstream", "clickstream", "dataset", "team:recsys", "Sessionised product clickstream"),
    (
        "data:customer-profiles",
        "customer-profiles",
        "dataset",
        "team:recsys",
        "Customer attributes for churn and ranking",
    ),
    ("nb:eda-tickets", "ticket-eda", "notebook", "team:nlp", "Exploratory analysis of support tickets"),
    (
        "nb:defect-error-analysis",
        "defect-error-analysis",
        "notebook",
        "team:vision",
        "Error analysis of the defect classifier",
    ),
    ("nb:ranking-ablation", "ranking-ablation", "notebook", "team:recsys", "Ablations of ranking features"),
    (
        "pipe:train-vision",
        "vision-training-pipeline",
        "pipeline",
        "team:platform",
        "Distributed training pipeline for vision models",
    ),
    ("pipe:batch-scoring", "batch-scoring", "pipeline", "team:platform", "Nightly batch scoring pipeline"),
    ("pipe:feature-etl", "feature-etl", "pipeline", "team:platform", "Feature engineering ETL into the feature store"),
    ("feat:user-activity", "user-activity-features", "feature", "team:recsys", "Rolling user activity aggregates"),
    ("feat:text-stats", "text-statistics", "feature", "team:nlp", "Length, language and readability of texts"),
    ("prompt:triage", "ticket-triage-prompt", "prompt", "team:nlp", "Prompt that routes tickets to the right queue"),
    ("prompt:summary", "incident-summary-prompt", "prompt", "team:platform", "Prompt that summarises incidents"),
]

DERIVATIONS = [
    ("model:resnet50-defects", "model:resnet50"),
    ("model:resnet50-defects", "data:defect-images"),
    ("model:bert-intents", "model:bert-base"),
    ("model:bert-intents", "data:support-tickets"),
    ("data:imagenet-subset", "data:defect-images"),
    ("feat:user-activity", "data:clickstream"),
    ("model:two-tower", "feat:user-activity"),
    ("model:gbdt-churn", "data:customer-profiles"),
]

PROJECT_THEMES = {
    "team:vision": [
        "defect detection on the line",
        "shelf image recognition",
        "document photo classification",
        "damage assessment from photos",
        "visual search",
    ],
    "team:nlp": [
        "support ticket routing",
        "FAQ semantic search",
        "contract clause extraction",
        "review sentiment",
        "assistant for agents",
    ],
    "team:recsys": [
        "homepage recommendations",
        "churn prediction",
        "email ranking",
        "next best offer",
        "search re-ranking",
    ],
    "team:platform": [
        "feature store rollout",
        "batch scoring migration",
        "model monitoring",
        "GPU cluster scheduler",
        "incident summarisation",
    ],
}


@dataclass(frozen=True)
class DemoSize:
    projects: int = 30
    people: int = 24


def _plan(seed: int, size: DemoSize) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    teams = list(TEAMS)
    people = []
    for i in range(size.people):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        people.append({"id": f"person:{i + 1:03d}", "name": name, "team": teams[i % len(teams)]})
    quality = {a[0]: rng.random() for a in ARTIFACTS}  # hidden: drives success, never stored

    projects, uses, members = [], [], []
    for i in range(size.projects):
        team = teams[i % len(teams)]
        theme = PROJECT_THEMES[team][(i // len(teams)) % len(PROJECT_THEMES[team])]
        project_id = f"project:{i + 1:03d}"
        own = [a for a in ARTIFACTS if a[3] in (team, "team:platform")]
        chosen = rng.sample(own, k=min(len(own), rng.randint(3, 6)))
        chosen += rng.sample(ARTIFACTS, k=2)
        chosen_ids = sorted({a[0] for a in chosen})
        team_people = [p for p in people if p["team"] == team]
        crew = rng.sample(team_people, k=min(len(team_people), rng.randint(2, 4)))
        if rng.random() < 0.4:
            crew.append(rng.choice(people))
        mean_quality = sum(quality[a] for a in chosen_ids) / len(chosen_ids)
        success = 1 if rng.random() < 0.15 + 0.8 * mean_quality else 0
        status = "active" if i % 5 else "archived"
        projects.append(
            {
                "id": project_id,
                "props": {
                    "name": theme.capitalize() + f" #{i // 20 + 1}" if i >= 20 else theme.capitalize(),
                    "description": f"{TEAMS[team][0]} team project: {theme}.",
                    "section": TEAMS[team][0].lower(),
                    "tags": [team.split(":")[1], theme.split()[0]],
                    "status": status,
                    "success": success,
                },
                "created_at": None,
            }
        )
        for artifact_id in chosen_ids:
            uses.append(
                {
                    "project_id": project_id,
                    "artifact_id": artifact_id,
                    "kind": "depends",
                    "count": rng.randint(1, 40),
                    "context": None,
                    "used_at": None,
                }
            )
        for n, person in enumerate({p["id"]: p for p in crew}.values()):
            members.append(
                {
                    "person_id": person["id"],
                    "project_id": project_id,
                    "role": "owner" if n == 0 else "maintainer",
                    "since": None,
                }
            )

    return {
        "teams": [
            {"id": k, "props": {"name": v[0], "description": v[1]}, "created_at": None} for k, v in TEAMS.items()
        ],
        "people": [{"id": p["id"], "props": {"name": p["name"], "kind": "person"}, "created_at": None} for p in people],
        "in_team": [{"person_id": p["id"], "team_id": p["team"]} for p in people],
        "artifacts": [
            {
                "id": a[0],
                "props": {"name": a[1], "kind": a[2], "description": a[4], "version": "1.0"},
                "created_at": None,
            }
            for a in ARTIFACTS
        ],
        "created": [
            {"person_id": rng.choice([p for p in people if p["team"] == a[3]])["id"], "artifact_id": a[0], "at": None}
            for a in ARTIFACTS
        ],
        "derived": [{"artifact_id": a, "source_id": s} for a, s in DERIVATIONS],
        "projects": projects,
        "uses": uses,
        "members": members,
    }


def seed_demo(driver: neo4j.Driver, database: str, seed: int = 7, size: DemoSize = DemoSize()) -> dict[str, int]:
    """Write the demo graph (idempotent: MERGE by id); returns rows written per kind."""
    plan = _plan(seed, size)
    # Nodes before the edges that join them.
    node_writes = [("teams", "Team"), ("people", "Person"), ("artifacts", "Artifact"), ("projects", "Project")]
    edge_writes = [
        ("in_team", IN_TEAM),
        ("created", CREATED),
        ("derived", DERIVED_FROM),
        ("uses", USES),
        ("members", MEMBER_OF),
    ]

    def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
        counts = {}
        for name, label in node_writes:
            nodes.upsert_rows(tx, label, plan[name])
            counts[name] = len(plan[name])
        for name, rel in edge_writes:
            edges.upsert_rows(tx, rel, [{"line": i, **row} for i, row in enumerate(plan[name])])
            counts[name] = len(plan[name])
        return counts

    with driver.session(database=database) as session:
        return session.execute_write(work)
