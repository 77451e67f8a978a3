"""The GraphQL schema: each app's Queries/Mutations combined (STYLE.md §7)."""

import graphene

from comments.schema.mutations import CommentsMutations
from comments.schema.queries import CommentsQueries


class Query(CommentsQueries, graphene.ObjectType):
    pass


class Mutation(CommentsMutations, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
