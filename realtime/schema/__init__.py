"""GraphQL schema of the realtime app: the Subscription fields."""
