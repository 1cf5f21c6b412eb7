"""The usage model: how it is trained, how its answers are served, how it is measured.

Shared by every part:
    usage_graph.py     the in-memory graph (projects, artifacts, people, edge arrays) every step works on
    text_embedding.py  sentence embedders, the on-disk vector cache, and the text embedded for a node

training/   fitting the models and the `train` and `embed` commands (batch jobs on the sync driver)
    link_blends.py     `ClassicLinkModel`: the served artifact and team rankers (blends of classic signals)
    maestro_model.py   `MaestroModel`: the network with the same blends and its success head, for `evaluate`
    validation_split.py  validation queries and labels carved out of a training graph
    training_loop.py   the encoder's training loop with early stopping on carved validation sets
    gnn.py             the torch-geometric encoder and its heads
    features.py, signals.py, blend.py, outcome_features.py, outcome_scores.py, success.py
                       node features, classic ranking signals and their learned blend, the success head
    graph_export.py    Neo4j -> `UsageGraph`
    node_embeddings.py sentence embeddings stored on the nodes (`maestro-graph embed`)
    train_command.py   `maestro-graph train`: fit on the whole graph and publish the answers
                       (the link blends and `ml/inductive_outcome.py`; no network)

serving/    answers at request time, from what training published
    publish.py         a fitted model's answers written as a new, then active, model version
    recommend.py       recommendations and team composition for the API (cold starts included)

evaluation/ measuring the model against classic baselines
    protocol.py        the seeded held-out splits and how a scorer is measured on each
    ranking_metrics.py recall, NDCG, hit rate, MRR, ROC-AUC, average precision
    baselines.py       popularity, item-kNN, artifact overlap, logistic regression
    synthetic.py       small graphs with planted structure, for tests and quick checks
    evaluate.py        the protocol for the baselines and the model in one run
    bundle_evaluation.py  `maestro-graph evaluate DIR`: a CSV bundle through a scratch Neo4j first

Which way imports run: serving/ needs only the shared modules (no request runs the network);
training/ uses evaluation/'s protocol (its validation sets) and baselines (signals of the blend),
and serving/publish.py to store its answers; of evaluation/, only evaluate.py and
bundle_evaluation.py, which train a model in order to measure it, import training/. Every Cypher
query lives in `maestro_graph.repositories`.
"""
