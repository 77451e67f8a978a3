from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    label = "talk_realtime"
    verbose_name = "Talk: realtime"
    default_auto_field = "django.db.models.BigAutoField"
