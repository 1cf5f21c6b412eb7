// Git repositories and their commits, keyed by remote (or local name) and by sha.
CREATE CONSTRAINT git_repository_id IF NOT EXISTS FOR (n:GitRepository) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT commit_id IF NOT EXISTS FOR (n:Commit) REQUIRE n.id IS UNIQUE;
// People met in git are matched to existing people by the hash of their email address.
CREATE INDEX person_email_hash IF NOT EXISTS FOR (n:Person) ON (n.email_hash);
// Metric series are read by project, name and time.
CREATE INDEX metric_at IF NOT EXISTS FOR (n:Metric) ON (n.at);
// CI/CD: deployments and pipeline runs by their namespaced ids, the integrations whose
// secrets verify webhooks, and deliveries already processed (pruned by age).
CREATE CONSTRAINT deployment_id IF NOT EXISTS FOR (n:Deployment) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT pipeline_run_id IF NOT EXISTS FOR (n:PipelineRun) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT integration_id IF NOT EXISTS FOR (n:Integration) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT webhook_delivery_id IF NOT EXISTS FOR (n:WebhookDelivery) REQUIRE n.id IS UNIQUE;
CREATE INDEX webhook_delivery_received IF NOT EXISTS FOR (n:WebhookDelivery) ON (n.received_at);
CREATE INDEX deployment_finished IF NOT EXISTS FOR (n:Deployment) ON (n.finished_at);
