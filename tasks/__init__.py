"""Celery tasks and their plumbing, and the in-process worker of the embedded default."""
