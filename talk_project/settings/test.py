"""Settings for the test suite: the normal settings with a throwaway data dir.

``DATABASE_URL`` still applies, so ``DATABASE_URL=postgres://... make test`` runs the
suite on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("TALK_DATA_DIR", tempfile.mkdtemp(prefix="talk-test-"))

from talk_project.settings import *  # noqa: E402,F403

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
