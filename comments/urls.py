"""URLs of the comments app: the GraphQL endpoint, the embed and the demo pages."""

from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie

from comments import views

app_name = "talk"

urlpatterns = [
    path("api/graphql", views.graphql_view(), name="graphql"),
    path("embed/stream", ensure_csrf_cookie(views.stream_page), name="stream"),
    path("healthz", views.healthz, name="healthz"),
    path("", views.demo_index, name="demo-index"),
    path("demo/story/<uuid:story_id>", views.demo_story, name="demo-story"),
    path("demo/article", views.demo_article, name="demo-article"),
]
