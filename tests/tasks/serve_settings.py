"""Settings of the ``serve`` subprocess in the scheduler test: beat every second, close after 1 day.

The deployable settings otherwise (``talk_project.settings``): only the schedule's interval
and the auto-close setting differ, so the embedded scheduler's first tick comes in seconds.
"""

from talk_project.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "talk-auto-close-stories": {"task": "talk.tasks.auto_close_stories", "schedule": 1.0},
}
TALK = {**TALK, "AUTO_CLOSE_AFTER_DAYS": 1}  # noqa: F405
