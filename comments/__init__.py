"""Stories, comments, reactions and flags; the public GraphQL API and the embed."""
