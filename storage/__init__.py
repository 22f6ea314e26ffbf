"""MongoDB records and stores. Knows nothing of GraphQL or of search."""
