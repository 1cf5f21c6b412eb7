"""CI/CD integrations: GitHub webhooks, a generic deployments endpoint, and the DORA
metrics computed from what they record."""
