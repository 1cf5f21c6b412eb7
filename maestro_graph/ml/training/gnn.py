"""The heterogeneous graph encoder and its three heads (torch-geometric, full batch).

Node types: project, artifact, person. Relations: graph_model.MODEL_RELATIONSHIPS (USES,
MEMBER_OF, CREATED, DERIVED_FROM), each also reversed so messages flow both ways.

Two encoders are available and were compared on the protocol:
- "lightgcn": typed input projections (features + a free id embedding), then
  parameter-free symmetric-normalised propagation (PyG LGConv) over the
  homogeneous view of the graph; the output is the mean of all layers.
- "sage": HeteroConv of per-relation SAGEConv layers with a residual link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch_geometric.data import HeteroData
from torch_geometric.nn import HeteroConv, LGConv, SAGEConv
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import to_torch_csr_tensor

from maestro_graph.graph_model import MODEL_RELATIONSHIPS
from maestro_graph.ml.training.features import NodeFeatures
from maestro_graph.ml.usage_graph import UsageGraph

NODE_TYPES = ("project", "artifact", "person")
# (source kind, relation, target kind) of each relationship the model learns from, keyed by the
# usage graph's edge array that holds it; each also gets its reverse for message passing.
RELATIONS = {
    array: (rel.start.label.lower(), rel.name.lower(), rel.end.label.lower())
    for array, rel in MODEL_RELATIONSHIPS.items()
}


@dataclass
class GraphTensors:
    """The same training graph as a HeteroData (per relation) and a homogeneous edge index."""

    data: HeteroData
    homogeneous_edges: torch.Tensor  # (2, E) over global ids, both directions
    adjacency: torch.Tensor  # symmetric-normalised sparse CSR (target x source) of the homogeneous view
    offsets: dict[str, int]
    counts: dict[str, int]


def build_graph_tensors(graph: UsageGraph, features: NodeFeatures) -> GraphTensors:
    data = HeteroData()
    data["project"].x = torch.from_numpy(features.project)
    data["artifact"].x = torch.from_numpy(features.artifact)
    data["person"].x = torch.from_numpy(features.person)
    for array, (src, name, dst) in RELATIONS.items():
        edges = torch.from_numpy(np.ascontiguousarray(getattr(graph, array).T)).long()
        data[src, name, dst].edge_index = edges
        data[dst, f"rev_{name}", src].edge_index = edges.flip(0)
    counts = {"project": graph.num_projects, "artifact": graph.num_artifacts, "person": graph.num_people}
    offsets = {"project": 0, "artifact": counts["project"], "person": counts["project"] + counts["artifact"]}
    pieces = []
    for array, (src, _, dst) in RELATIONS.items():
        edges = torch.from_numpy(np.ascontiguousarray(getattr(graph, array).T)).long()
        if edges.shape[1] == 0:
            continue
        shifted = torch.stack([edges[0] + offsets[src], edges[1] + offsets[dst]])
        pieces += [shifted, shifted.flip(0)]
    homogeneous = torch.cat(pieces, dim=1) if pieces else torch.zeros((2, 0), dtype=torch.long)
    n_nodes = sum(counts.values())
    # Normalising once and multiplying by a CSR matrix is several times faster than
    # letting LGConv renormalise and scatter over the edge list at every call.
    normed_edges, weights = gcn_norm(homogeneous, None, n_nodes, add_self_loops=False)
    adjacency = to_torch_csr_tensor(normed_edges.flip(0), weights, (n_nodes, n_nodes))
    return GraphTensors(data=data, homogeneous_edges=homogeneous, adjacency=adjacency, offsets=offsets, counts=counts)


class UsageEncoder(nn.Module):
    """Embeds every node of the graph into one `hidden`-dimensional space."""

    def __init__(
        self,
        feature_dims: dict[str, int],
        counts: dict[str, int],
        hidden: int = 64,
        layers: int = 2,
        kind: str = "lightgcn",
        id_embeddings: bool = True,
    ):
        super().__init__()
        self.kind, self.layers, self.hidden = kind, layers, hidden
        self.inputs = nn.ModuleDict({t: nn.Linear(feature_dims[t], hidden) for t in NODE_TYPES})
        # Free per-node vectors carry collaborative signal that features cannot express.
        self.ids: nn.ModuleDict | None = None
        if id_embeddings:
            tables = {t: nn.Embedding(counts[t], hidden) for t in NODE_TYPES}
            for table in tables.values():
                nn.init.normal_(table.weight, std=0.1)
            self.ids = nn.ModuleDict(tables)
        if kind == "lightgcn":
            self.propagate = LGConv(normalize=False)  # adjacency is pre-normalised
        elif kind == "sage":
            edge_types = [*RELATIONS.values(), *((d, f"rev_{n}", s) for s, n, d in RELATIONS.values())]
            self.convs = nn.ModuleList(
                HeteroConv({et: SAGEConv((-1, -1), hidden) for et in edge_types}, aggr="sum") for _ in range(layers)
            )
        else:
            raise ValueError(f"unknown encoder kind {kind!r}")

    def initial(self, tensors: GraphTensors) -> dict[str, torch.Tensor]:
        out = {}
        for t in NODE_TYPES:
            h = self.inputs[t](tensors.data[t].x)
            if self.ids is not None:
                h = h + self.ids[t].weight
            out[t] = h
        return out

    def layer_outputs(self, tensors: GraphTensors) -> list[torch.Tensor]:
        """LightGCN only: the homogeneous node matrix after 0, 1, ..., `layers` propagations."""
        h0 = self.initial(tensors)
        outputs = [torch.cat([h0[t] for t in NODE_TYPES])]
        for _ in range(self.layers):
            outputs.append(self.propagate(outputs[-1], tensors.adjacency))
        return outputs

    def split(self, x: torch.Tensor, tensors: GraphTensors) -> dict[str, torch.Tensor]:
        return {t: x[tensors.offsets[t] : tensors.offsets[t] + tensors.counts[t]] for t in NODE_TYPES}

    def forward(self, tensors: GraphTensors) -> dict[str, torch.Tensor]:
        if self.kind == "lightgcn":
            return self.split(torch.stack(self.layer_outputs(tensors)).mean(0), tensors)
        h0 = self.initial(tensors)
        h = h0
        edge_index = {
            et: tensors.data[et].edge_index
            for et in tensors.data.edge_types
            if tensors.data[et].edge_index.shape[1] > 0
        }
        for layer, conv in enumerate(self.convs):
            update = conv(h, edge_index)
            h = {
                t: (h[t] + torch.relu(update[t]) if layer < self.layers - 1 else h[t] + update[t])
                if t in update
                else h[t]
                for t in NODE_TYPES
            }
        return h


class UsageModel(nn.Module):
    """Encoder plus heads: artifact use, membership and project success."""

    def __init__(
        self,
        feature_dims: dict[str, int],
        counts: dict[str, int],
        hidden: int = 64,
        layers: int = 2,
        kind: str = "lightgcn",
        id_embeddings: bool = True,
    ):
        super().__init__()
        self.encoder = UsageEncoder(feature_dims, counts, hidden, layers, kind, id_embeddings)
        # Relation-specific diagonal metrics let one space serve both link heads.
        self.uses_metric = nn.Parameter(torch.ones(hidden))
        self.member_metric = nn.Parameter(torch.ones(hidden))
        self.artifact_bias = nn.Parameter(torch.zeros(counts["artifact"]))
        self.person_bias = nn.Parameter(torch.zeros(counts["person"]))
        self.success_head = nn.Sequential(
            nn.Linear(hidden + feature_dims["project"], hidden), nn.ReLU(), nn.Dropout(0.2), nn.Linear(hidden, 1)
        )

    def uses_scores(self, z: dict, projects: torch.Tensor, artifacts: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, n_artifacts) scores, or pairwise scores when `artifacts` is aligned with `projects`."""
        zp = z["project"][projects] * self.uses_metric
        if artifacts is None:
            return zp @ z["artifact"].T + self.artifact_bias
        return (zp * z["artifact"][artifacts]).sum(-1) + self.artifact_bias[artifacts]

    def member_scores(self, z: dict, projects: torch.Tensor, people: torch.Tensor | None = None) -> torch.Tensor:
        zp = z["project"][projects] * self.member_metric
        if people is None:
            return zp @ z["person"].T + self.person_bias
        return (zp * z["person"][people]).sum(-1) + self.person_bias[people]

    def removal_logits(self, z: dict, project_x: torch.Tensor, projects: torch.Tensor) -> torch.Tensor:
        """Logit of the chance that each project is removed (fails)."""
        return self.success_head(torch.cat([z["project"][projects], project_x[projects]], dim=-1)).squeeze(-1)
