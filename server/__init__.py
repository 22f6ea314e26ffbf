"""The ASGI app, its settings and lifespan, the local-service supervisor and the CLI."""
