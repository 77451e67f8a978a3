"""The Celery app of the deployable site (``celery -A talk_project worker``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "talk_project.settings")

app = Celery("talk_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
