"""Websocket routes. The graphql-transport-ws consumer arrives with the realtime issue."""

websocket_urlpatterns: list = []
