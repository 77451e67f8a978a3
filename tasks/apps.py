"""Celery tasks and their plumbing, and the in-process worker of the embedded default."""

from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    label = "talk_tasks"
    verbose_name = "Talk: jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tasks import monitoring

        monitoring.connect()
