"""Who is calling and what they may do: the OAuth 2.0 authorization server for
integrations, access-token validation (ours and an external OpenID Connect issuer's),
the request principal, and the permission checks the GraphQL schema applies."""
