from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"
    label = "talk_comments"
    verbose_name = "Talk: comments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from comments import checks  # noqa: F401  (registers system checks)
