"""Live events: committed writes, numbered in Neo4j and fanned out to subscribers in this
process (`hub`), and delivered to outgoing webhooks (`webhook_worker`)."""
