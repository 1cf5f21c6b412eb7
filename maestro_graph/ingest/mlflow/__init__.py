"""`import-mlflow`: an MLflow tracking server\x27s experiments, runs and models into the graph."""
