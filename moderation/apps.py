from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    label = "talk_moderation"
    verbose_name = "Talk: moderation"
    default_auto_field = "django.db.models.BigAutoField"
