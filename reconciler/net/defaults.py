"""Defaults of the limits on one outbound exchange, importable without httpx (the config
model names them as the defaults of reconciler.yaml's connectwise settings)."""

DEADLINE_SECONDS = 120.0  # one whole exchange: connect, send, the entire answer
MAX_RESPONSE_MB = 64  # one decoded answer (a 1000-record page is a few MB)
