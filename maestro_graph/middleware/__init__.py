"""The layers every HTTP request passes through before a route sees it, each a small pure-ASGI
class with one job, listed here outermost first (the order `app.create_app` stacks them):

- `observability.Observability`: request id, timing, trace span and access log line;
- `deadline.Deadline`: cancels a request still running at its deadline (504);
- `body_limit.BodySizeLimit`: refuses a body over its size limit (413) before it is parsed;

and `unavailable.outage_handlers`, the exception handlers that answer 503 when a route lets
an outage of the graph database escape.

These layers import nothing of the app but `observability`, which records what they see;
the database layer and the GraphQL schema read the request's deadline from `deadline`.
"""
