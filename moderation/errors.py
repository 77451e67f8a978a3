"""Domain errors of moderation acts; codes follow Coral's error codes where it has one."""

from __future__ import annotations

from comments.errors import TalkError


class UserNotFound(TalkError):
    code = "USER_NOT_FOUND"
    default_message = "That user does not exist."


class UserAlreadyBanned(TalkError):
    code = "USER_ALREADY_BANNED"
    default_message = "This user is already banned there."


class UserAlreadySuspended(TalkError):
    code = "USER_ALREADY_SUSPENDED"
    default_message = "This user is already suspended."


class UserAlreadyPremod(TalkError):
    code = "USER_ALREADY_PREMOD"
    default_message = "This user's comments are already pre-moderated."


class RejectionReasonInvalid(TalkError):
    code = "REJECTION_REASON_INVALID"
    default_message = "Pick one of the rejection reasons."


class RejectionNoteRequired(TalkError):
    code = "REJECTION_NOTE_REQUIRED"
    default_message = "Explain the rejection when the reason is Other."


class SuspensionTimeoutInvalid(TalkError):
    code = "SUSPENSION_TIMEOUT_INVALID"
    default_message = "A suspension lasts from one second to one year."


class MessageRequired(TalkError):
    code = "MESSAGE_REQUIRED"
    default_message = "Write a message for the user."


class NoteInvalid(TalkError):
    code = "MODERATOR_NOTE_INVALID"
    default_message = "A note has 1 to 2000 characters."


class RoleInvalid(TalkError):
    code = "ROLE_INVALID"
    default_message = "That role does not exist."


class SiteIDsRequired(TalkError):
    code = "SITE_IDS_REQUIRED"
    default_message = "Choose at least one site."
