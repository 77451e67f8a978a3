"""Forms of the moderation console: they parse what moderators post, nothing more."""

from __future__ import annotations

from django import forms
from django.contrib.admin.helpers import ActionForm

from comments.models import Site
from moderation.models import ModerationQueue, RejectionReason, Role

COMMENT_ACTIONS = ("approve", "reject", "feature", "unfeature")
NOTE_MAX_CHARS = 500
# Coral's suspension presets; "custom" takes a number of hours.
SUSPENSION_CHOICES = [
    ("3600", "1 hour"),
    ("86400", "1 day"),
    ("604800", "1 week"),
    ("custom", "Custom…"),
]
MAX_CUSTOM_SUSPENSION_HOURS = 24 * 365


class RejectionFields(forms.Form):
    """Coral's rejection reason, with the note OTHER requires."""

    reason = forms.ChoiceField(
        choices=RejectionReason.choices, initial=RejectionReason.OFFENSIVE, required=False
    )
    note = forms.CharField(max_length=NOTE_MAX_CHARS, required=False, strip=True)

    def clean(self):
        data = super().clean()
        if data.get("reason") == RejectionReason.OTHER and not data.get("note"):
            self.add_error("note", "Explain the rejection when the reason is “Other”.")
        return data


class CommentActForm(RejectionFields):
    """One act (approve, reject, feature, unfeature) on one comment or several.

    The comment ids are the ``comment`` values (repeatable); ``queue``, ``site`` and
    ``story`` say which queue page posted, so the reply can tell whether each comment
    is still in it and give the new counts.
    """

    MAX_COMMENTS = 100

    action = forms.ChoiceField(choices=[(name, name) for name in COMMENT_ACTIONS])
    queue = forms.ChoiceField(choices=ModerationQueue.choices, required=False)
    site = forms.UUIDField(required=False)
    story = forms.UUIDField(required=False)
    next = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        values = self.data.getlist("comment") if hasattr(self.data, "getlist") else []
        ids = []
        for value in values[: self.MAX_COMMENTS]:
            try:
                ids.append(forms.UUIDField().clean(value))
            except forms.ValidationError:
                self.add_error(None, "That is not a comment id.")
                return data
        if not ids:
            self.add_error(None, "Select at least one comment.")
        data["comment_ids"] = list(dict.fromkeys(ids))
        if data.get("action") == "reject" and not data.get("reason"):
            data["reason"] = RejectionReason.OFFENSIVE
        return data


class CommentAdminActionForm(ActionForm):
    """The change list's action bar, with the reason ``reject_selected`` needs."""

    reason = forms.ChoiceField(
        choices=[("", "Rejection reason…"), *RejectionReason.choices], required=False
    )
    note = forms.CharField(
        max_length=NOTE_MAX_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Note (required for Other)"}),
    )


class BanForm(forms.Form):
    scope = forms.ChoiceField(
        choices=[("all", "Everywhere"), ("sites", "Only on the sites chosen below")],
        initial="all",
        widget=forms.RadioSelect,
    )
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    reject_existing_comments = forms.BooleanField(
        required=False, label="Reject their existing comments"
    )
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the user with the ban.",
    )

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = sites if sites is not None else Site.objects.all()

    def clean(self):
        data = super().clean()
        if data.get("scope") == "sites" and not data.get("sites"):
            self.add_error("sites", "Choose at least one site, or ban everywhere.")
        return data

    @property
    def site_ids(self) -> list | None:
        if self.cleaned_data["scope"] == "all":
            return None
        return [site.pk for site in self.cleaned_data["sites"]]


class SiteBanRemoveForm(forms.Form):
    site = forms.UUIDField(required=False)


class SuspendForm(forms.Form):
    duration = forms.ChoiceField(choices=SUSPENSION_CHOICES, initial="86400")
    custom_hours = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_CUSTOM_SUSPENSION_HOURS,
        label="Custom duration (hours)",
    )
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the user while suspended.",
    )

    def clean(self):
        data = super().clean()
        if data.get("duration") == "custom" and not data.get("custom_hours"):
            self.add_error("custom_hours", "Give the number of hours.")
        return data

    @property
    def seconds(self) -> int:
        if self.cleaned_data["duration"] == "custom":
            return self.cleaned_data["custom_hours"] * 3600
        return int(self.cleaned_data["duration"])

    @property
    def duration_label(self) -> str:
        if self.cleaned_data["duration"] == "custom":
            hours = self.cleaned_data["custom_hours"]
            return f"{hours} hour{'s' if hours != 1 else ''}"
        return dict(SUSPENSION_CHOICES)[self.cleaned_data["duration"]]


class WarnForm(forms.Form):
    message = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The user sees it and must acknowledge it.",
    )


class NoteForm(forms.Form):
    body = forms.CharField(max_length=2000, label="Note", widget=forms.Textarea(attrs={"rows": 3}))


class NoteDeleteForm(forms.Form):
    note = forms.UUIDField()


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For a moderator: the sites they moderate; none: every site.",
    )

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = sites if sites is not None else Site.objects.all()

    @property
    def site_ids(self) -> list | None:
        chosen = self.cleaned_data.get("sites")
        return [site.pk for site in chosen] if chosen else None
