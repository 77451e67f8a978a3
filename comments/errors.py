"""Domain errors. Each has a stable ``code`` that GraphQL payloads carry as data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict


class ErrorPayload(TypedDict):
    code: str
    message: str
    field: str | None


class TalkError(Exception):
    """Base of every error a reader or moderator may be shown.

    ``code`` is stable (clients branch on it); ``message`` is for people; ``field`` names
    the input field at fault, if any.
    """

    code = "INTERNAL_ERROR"
    default_message = "Something went wrong."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)

    def to_payload(self) -> ErrorPayload:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotAuthenticated(TalkError):
    code = "NOT_AUTHENTICATED"
    default_message = "Sign in to do this."


class PermissionDenied(TalkError):
    code = "PERMISSION_DENIED"
    default_message = "You are not allowed to do this."


class InvalidID(TalkError):
    code = "INVALID_ID"
    default_message = "That id is not valid."


class SiteNotFound(TalkError):
    code = "SITE_NOT_FOUND"
    default_message = "No site is configured for this address."


class StoryNotFound(TalkError):
    code = "STORY_NOT_FOUND"
    default_message = "That story does not exist."


class StoryURLInvalid(TalkError):
    code = "STORY_URL_INVALID"
    default_message = "The story URL must be an absolute http(s) URL."


class StoryClosed(TalkError):
    code = "STORY_CLOSED"
    default_message = "Commenting is closed on this story."


class CommentNotFound(TalkError):
    code = "COMMENT_NOT_FOUND"
    default_message = "That comment does not exist."


class ParentNotFound(TalkError):
    code = "PARENT_COMMENT_NOT_FOUND"
    default_message = "The comment you are replying to does not exist."


class CommentEmpty(TalkError):
    code = "COMMENT_BODY_EMPTY"
    default_message = "Write something before posting."


class CommentTooLong(TalkError):
    code = "COMMENT_BODY_TOO_LONG"
    default_message = "That comment is too long."


class NotAuthor(TalkError):
    code = "NOT_AUTHOR"
    default_message = "Only the author can edit this comment."


class EditWindowExpired(TalkError):
    code = "EDIT_WINDOW_EXPIRED"
    default_message = "This comment can no longer be edited."


class CommentNotVisible(TalkError):
    code = "COMMENT_NOT_VISIBLE"
    default_message = "That comment is not available."


class AlreadyFlagged(TalkError):
    code = "ALREADY_FLAGGED"
    default_message = "You already reported this comment."


class FlagNoteRequired(TalkError):
    code = "FLAG_NOTE_REQUIRED"
    default_message = "Tell us why you are reporting this comment."


class InvalidCredentials(TalkError):
    code = "INVALID_CREDENTIALS"
    default_message = "E-mail or password is incorrect."


class EmailTaken(TalkError):
    code = "EMAIL_ALREADY_SET"
    default_message = "An account with this e-mail already exists."


class UsernameTaken(TalkError):
    code = "USERNAME_ALREADY_EXISTS"
    default_message = "That username is taken."


class UsernameInvalid(TalkError):
    code = "USERNAME_INVALID"
    default_message = "Usernames are 3 to 30 letters, digits, '_' or '.'."


class EmailInvalid(TalkError):
    code = "EMAIL_INVALID"
    default_message = "That e-mail address is not valid."


class PasswordInvalid(TalkError):
    code = "PASSWORD_INVALID"
    default_message = "That password is too weak."


class CommentingDisabled(TalkError):
    """The site refuses new comments (``SiteModerationSettings.commenting_disabled``).

    ``message`` is the site's own message when it set one.
    """

    code = "COMMENTING_DISABLED"
    default_message = "Commenting is disabled on this site."


class UserBanned(TalkError):
    """The author is banned everywhere or from the story's site (Coral: USER_BANNED)."""

    code = "USER_BANNED"
    default_message = "Your account is banned from commenting."


class UserSuspended(TalkError):
    """The author is suspended until ``until`` (UTC-aware); Coral: USER_SUSPENDED.

    The message names the end of the suspension and carries the moderator's message.
    """

    code = "USER_SUSPENDED"
    default_message = "Your account is suspended from commenting."

    def __init__(self, *, until: datetime, moderator_message: str = "") -> None:
        self.until = until
        text = f"Your account is suspended until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
        if moderator_message.strip():
            text = f"{text} {moderator_message.strip()}"
        super().__init__(text)


class SiteDomainTaken(TalkError):
    code = "SITE_DOMAIN_TAKEN"
    default_message = "Another site already uses this domain."
