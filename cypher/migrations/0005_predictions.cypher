// Model versions and the predictions each one wrote back into the graph. Reads pick the
// active version of a task, then only predictions carrying that version.
CREATE INDEX model_task IF NOT EXISTS FOR (n:Model) ON (n.task, n.active);
CREATE INDEX prediction_version IF NOT EXISTS FOR (n:Prediction) ON (n.model_version);
CREATE INDEX recommended_version IF NOT EXISTS FOR ()-[r:RECOMMENDED]-() ON (r.model_version);
CREATE INDEX suggested_version IF NOT EXISTS FOR ()-[r:SUGGESTED]-() ON (r.model_version);
