"""Fitting the usage model and the batch commands that feed it (`embed`, `train`).

Start at `maestro_model.MaestroModel`: build it with a `ModelConfig`, then `fit()` it on a
`UsageGraph`; `train_command.train_and_publish` does that on the graph in Neo4j and
publishes the answers.
"""
