"""Use cases: validate, call the stores, return plain records. Knows nothing of GraphQL types."""
