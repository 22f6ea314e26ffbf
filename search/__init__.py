"""Search: documents, index settings, indexer and queries over Meilisearch. Knows nothing of GraphQL."""
