from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _talk_groups_after_migrate(sender, using="default", **kwargs) -> None:
    # Permissions of both Talk apps exist by now: auth's create_permissions runs for
    # each app before this receiver, and talk_comments migrates before talk_moderation.
    from moderation.services import talk_groups_ensure

    talk_groups_ensure(using=using)


class ModerationConfig(AppConfig):
    name = "moderation"
    label = "talk_moderation"
    verbose_name = "Talk: moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(
            _talk_groups_after_migrate, sender=self, dispatch_uid="talk_groups_ensure"
        )
