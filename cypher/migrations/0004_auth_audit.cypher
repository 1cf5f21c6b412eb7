// OAuth clients are found by client_id on every token request.
CREATE CONSTRAINT oauth_client_id IF NOT EXISTS FOR (n:OAuthClient) REQUIRE n.client_id IS UNIQUE;
// Signing keys by kid; `active_slot` is set on exactly one key (the one that signs), and the
// constraint makes "create the first key" safe when several replicas start at once.
CREATE CONSTRAINT signing_key_kid IF NOT EXISTS FOR (n:SigningKey) REQUIRE n.kid IS UNIQUE;
CREATE CONSTRAINT signing_key_active IF NOT EXISTS FOR (n:SigningKey) REQUIRE n.active_slot IS UNIQUE;
// Revoked access tokens, looked up by jti on every authenticated request.
CREATE CONSTRAINT revoked_token_jti IF NOT EXISTS FOR (n:RevokedToken) REQUIRE n.jti IS UNIQUE;
CREATE INDEX revoked_token_expires IF NOT EXISTS FOR (n:RevokedToken) ON (n.expires_at);
// The audit trail: newest first, filtered by who and what.
CREATE CONSTRAINT audit_event_id IF NOT EXISTS FOR (n:AuditEvent) REQUIRE n.id IS UNIQUE;
CREATE INDEX audit_event_at IF NOT EXISTS FOR (n:AuditEvent) ON (n.at);
CREATE INDEX audit_event_actor IF NOT EXISTS FOR (n:AuditEvent) ON (n.actor);
CREATE INDEX audit_event_action IF NOT EXISTS FOR (n:AuditEvent) ON (n.action);
CREATE INDEX audit_event_client IF NOT EXISTS FOR (n:AuditEvent) ON (n.client_id);
