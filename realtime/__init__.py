"""GraphQL subscriptions over websockets and the publishing of events."""
