"""The GraphQL schema: each app's Queries/Mutations combined (STYLE.md §7)."""

import graphene

from comments.schema.mutations import CommentsMutations
from comments.schema.queries import CommentsQueries
from moderation.schema.mutations import ModerationMutations
from moderation.schema.queries import ModerationQueries
from realtime.schema.subscriptions import RealtimeSubscriptions


class Query(CommentsQueries, ModerationQueries, graphene.ObjectType):
    pass


class Mutation(CommentsMutations, ModerationMutations, graphene.ObjectType):
    pass


class Subscription(RealtimeSubscriptions, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, subscription=Subscription)
