from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    label = "talk_tasks"
    verbose_name = "Talk: jobs"
    default_auto_field = "django.db.models.BigAutoField"
