"""Fitting the models and the batch commands that feed them (`embed`, `train`).

`train_command.train_and_publish` fits what `train` serves on the graph in Neo4j and publishes
the answers: `link_blends.ClassicLinkModel` ranks artifacts and people, and the inductive
outcome model (`ml/inductive_outcome.py`) predicts outcomes and impact. `maestro_model.MaestroModel`
(build it with a `ModelConfig`, then `fit()` it on a `UsageGraph`) adds the graph network, for
`evaluate` to measure what it adds.
"""
