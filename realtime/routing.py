"""Websocket routes: GraphQL over graphql-transport-ws at /api/graphql/live."""

from django.urls import path

from realtime.consumers import GraphQLTransportWSConsumer

websocket_urlpatterns = [
    path("api/graphql/live", GraphQLTransportWSConsumer.as_asgi(), name="graphql-live"),
]
