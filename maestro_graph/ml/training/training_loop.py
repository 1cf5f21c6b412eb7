"""Multi-task training of the usage model with early stopping on carved validation sets.

The validation sets are cut out of the *training* graph with the protocol's own
split functions (other seeds), so the model never sees a test edge or label.
Losses: BPR with uniformly sampled negatives for USES and MEMBER_OF, and
optionally class-weighted binary cross-entropy for removal.

Training stops on epochs and validation patience only, so one seed gives the
same model however busy the machine is; `time_budget_s` is an opt-in safety cap
that trades that guarantee for a bounded run time.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.training.features import NodeFeatures, node_features
from maestro_graph.ml.training.gnn import GraphTensors, UsageModel, build_graph_tensors
from maestro_graph.ml.training.validation_split import Validation
from maestro_graph.ml.usage_graph import UsageGraph


@dataclass
class TrainConfig:
    hidden: int = 64
    layers: int = 2
    kind: str = "lightgcn"
    id_embeddings: bool = True
    lr: float = 0.01
    weight_decay: float = 0.0
    embedding_l2: float = 1e-4
    # About 0.3 s an epoch on the 31k-project graph with 2 threads; 400 epochs keep
    # the encoder near 2.5 minutes there while validation recall still creeps up.
    max_epochs: int = 400
    eval_every: int = 20
    patience: int = 4  # evaluations without improvement before stopping
    edges_per_step: int = 60000
    # The in-network removal head memorises training labels through the id
    # embeddings (validation AUC peaked near 0.70 and fell); by default removal is
    # predicted downstream from the label-free embeddings instead (see success.py).
    outcome_weight: float = 0.0
    seed: int = 0
    val_queries: int = 1000
    # None: stop by epochs and patience only (reproducible). A number cuts training
    # after that many seconds, which makes the result depend on machine load.
    time_budget_s: float | None = None
    # A fixed thread count fixes the order of parallel float reductions, so the
    # same seed gives bit-identical parameters on machines with other core counts.
    threads: int = 2


@dataclass
class TrainedModel:
    model: UsageModel
    config: TrainConfig
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @torch.no_grad()
    def embed(self, tensors: GraphTensors) -> dict[str, torch.Tensor]:
        self.model.eval()
        with deterministic_torch(self.config.threads):
            return self.model.encoder(tensors)


def seed_everything(seed: int) -> None:
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def deterministic_torch(threads: int) -> Iterator[None]:
    """Fixed thread count and deterministic kernels inside the block; the caller's settings come back after.

    `warn_only` keeps an op without a deterministic kernel from failing; on CPU the
    ops used here (dense and CSR matmuls, gathers, index_add) are deterministic.
    """
    previous_threads = torch.get_num_threads()
    previous_mode = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(max(1, int(threads)))
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous_mode, warn_only=previous_warn)
        torch.set_num_threads(previous_threads)


def _bpr(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    return F.softplus(neg - pos).mean()


def validation_scores(model: UsageModel, tensors: GraphTensors, val: Validation) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        z = model.encoder(tensors)
        x = tensors.data["project"].x

        def art(rows):
            return model.uses_scores(z, torch.from_numpy(rows)).numpy()

        def team(rows):
            return model.member_scores(z, torch.from_numpy(rows)).numpy()

        removal = model.removal_logits(z, x, torch.from_numpy(val.outcome.projects)).numpy()
        scores = {}
        scores.update(protocol.measure_artifacts(val.artifacts, art))
        scores.update(protocol.measure_team(val.team, team))
        scores.update(protocol.measure_outcome(val.outcome, removal))
    model.train()
    return scores


def _selection_score(scores: dict[str, float], use_outcome: bool) -> float:
    auc = scores.get("roc_auc", 0.5) if use_outcome else 0.5
    return scores["recall@10"] + scores["hit@10"] + (0.0 if np.isnan(auc) else auc - 0.5)


def train_usage_model(
    fit_graph: UsageGraph, features: NodeFeatures, val: Validation | None, config: TrainConfig
) -> TrainedModel:
    """Train on `fit_graph`; keep the parameters with the best validation score."""
    with deterministic_torch(config.threads):
        return _train(fit_graph, features, val, config)


def _train(fit_graph: UsageGraph, features: NodeFeatures, val: Validation | None, config: TrainConfig) -> TrainedModel:
    seed_everything(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    tensors = build_graph_tensors(fit_graph, features)
    dims = {
        "project": features.project.shape[1],
        "artifact": features.artifact.shape[1],
        "person": features.person.shape[1],
    }
    model = UsageModel(dims, tensors.counts, config.hidden, config.layers, config.kind, config.id_embeddings)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    uses = torch.from_numpy(fit_graph.uses).long()
    members = torch.from_numpy(fit_graph.members).long()
    labelled = np.flatnonzero(~np.isnan(fit_graph.success))
    removed = torch.from_numpy((fit_graph.success[labelled] == 0).astype(np.float32))
    labelled_t = torch.from_numpy(labelled).long()
    n_removed = float(removed.sum())
    pos_weight = torch.tensor((len(removed) - n_removed) / max(n_removed, 1.0)) ** 0.5
    n_art, n_people = fit_graph.num_artifacts, fit_graph.num_people
    project_x = tensors.data["project"].x

    best_state, best_score, since_best, history = None, -np.inf, 0, []
    start = time.perf_counter()
    for epoch in range(1, config.max_epochs + 1):
        z = model.encoder(tensors)
        loss = torch.zeros(())
        if len(uses):
            pick = torch.randint(len(uses), (min(config.edges_per_step, len(uses)),), generator=generator)
            p, a = uses[pick, 0], uses[pick, 1]
            neg = torch.randint(n_art, (len(pick),), generator=generator)
            loss = loss + _bpr(model.uses_scores(z, p, a), model.uses_scores(z, p, neg))
            loss = (
                loss
                + config.embedding_l2
                * (
                    z["project"][p].pow(2).sum(-1) + z["artifact"][a].pow(2).sum(-1) + z["artifact"][neg].pow(2).sum(-1)
                ).mean()
            )
        if len(members):
            pick = torch.randint(len(members), (min(config.edges_per_step, len(members)),), generator=generator)
            h, p = members[pick, 0], members[pick, 1]
            neg = torch.randint(n_people, (len(pick),), generator=generator)
            loss = loss + _bpr(model.member_scores(z, p, h), model.member_scores(z, p, neg))
            loss = loss + config.embedding_l2 * (z["person"][h].pow(2).sum(-1) + z["person"][neg].pow(2).sum(-1)).mean()
        if config.outcome_weight > 0 and len(labelled) and 0 < n_removed < len(labelled):
            logits = model.removal_logits(z, project_x, labelled_t)
            loss = loss + config.outcome_weight * F.binary_cross_entropy_with_logits(
                logits, removed, pos_weight=pos_weight
            )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        out_of_time = config.time_budget_s is not None and time.perf_counter() - start > config.time_budget_s
        if val is not None and (epoch % config.eval_every == 0 or out_of_time or epoch == config.max_epochs):
            scores = validation_scores(model, tensors, val)
            scores.update(epoch=epoch, loss=float(loss.detach()), seconds=time.perf_counter() - start)
            history.append(scores)
            current = _selection_score(scores, config.outcome_weight > 0)
            if current > best_score:
                best_score, best_state, since_best = current, copy.deepcopy(model.state_dict()), 0
            else:
                since_best += 1
                if since_best >= config.patience:
                    break
        if out_of_time:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return TrainedModel(model=model, config=config, history=history, seconds=time.perf_counter() - start)


def inference_tensors(graph: UsageGraph, project_text: np.ndarray, artifact_text: np.ndarray) -> GraphTensors:
    """Tensors of a (larger) training graph for scoring with a model fit on a sub-graph."""
    return build_graph_tensors(graph, node_features(graph, project_text, artifact_text))
