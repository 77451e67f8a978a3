"""The deployable Talk site: settings, ASGI entry point, Celery app, URLs."""

from talk_project.celery import app as celery_app

__all__ = ["celery_app"]
