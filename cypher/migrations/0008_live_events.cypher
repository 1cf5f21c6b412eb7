// Live events: the outbox's one sequence counter, events read by number after a cursor.
CREATE CONSTRAINT event_sequence_id IF NOT EXISTS FOR (n:EventSequence) REQUIRE n.id IS UNIQUE;
CREATE INDEX audit_event_seq IF NOT EXISTS FOR (n:AuditEvent) ON (n.seq);
// Outgoing webhooks, by id, and their delivery records, newest first per webhook.
CREATE CONSTRAINT outgoing_webhook_id IF NOT EXISTS FOR (n:OutgoingWebhook) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT outgoing_delivery_id IF NOT EXISTS FOR (n:OutgoingDelivery) REQUIRE n.id IS UNIQUE;
CREATE INDEX outgoing_delivery_webhook IF NOT EXISTS FOR (n:OutgoingDelivery) ON (n.webhook_id, n.at);
// The counter exists from the start, so the graph's node count does not change when the
// first event is numbered.
MERGE (c:EventSequence {id: 'events'}) ON CREATE SET c.last = 0;
