import calendar
import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError

from .addresses import canonical_email
from .models import Interest, Subscriber, known_timezones

MAX_INTERESTS = 30
PHRASE_MIN, PHRASE_MAX = 2, 100
# Control (Cc), format (Cf: zero-width and bidi marks), private-use and surrogate characters:
# invisible in a phrase, they would make it look like another and never match a paper.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs"}
INTEREST_EXAMPLES = "speech recognition, diffusion transformers\nprotein folding"


def parse_interests(text: str) -> list[str]:
    """Phrases separated by commas or new lines: stripped, without empties or repeats."""
    phrases, seen = [], set()
    for raw in re.split(r"[,\n;]", text):
        phrase = " ".join(raw.split())
        if phrase and phrase.lower() not in seen:
            seen.add(phrase.lower())
            phrases.append(phrase)
    for phrase in phrases:
        hidden = [c for c in phrase if unicodedata.category(c) in INVISIBLE_CATEGORIES]
        if hidden:
            shown = "".join(c for c in phrase if c not in hidden)[:40]
            raise ValidationError(
                f"“{shown}” contains an invisible or control character "
                f"({', '.join(sorted({f'U+{ord(c):04X}' for c in hidden}))}, e.g. a zero-width "
                "space or a text-direction mark). Please type it again without it."
            )
    too_short = [p for p in phrases if len(p) < PHRASE_MIN]
    too_long = [p for p in phrases if len(p) > PHRASE_MAX]
    if too_short:
        raise ValidationError(
            f"Each interest needs at least {PHRASE_MIN} characters: {', '.join(too_short)[:80]}"
        )
    if too_long:
        raise ValidationError(
            f"Each interest can have at most {PHRASE_MAX} characters; "
            f"“{too_long[0][:40]}…” has {len(too_long[0])}. Separate phrases with commas."
        )
    if len(phrases) > MAX_INTERESTS:
        raise ValidationError(
            f"You can follow at most {MAX_INTERESTS} interests; this list has {len(phrases)}."
        )
    return phrases


class InterestsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "placeholder": INTEREST_EXAMPLES})

    def clean(self, value):
        phrases = parse_interests(super().clean(value) or "")
        if self.required and not phrases:
            raise ValidationError(self.error_messages["required"], code="required")
        return phrases


class EmailAddressField(forms.EmailField):
    """An email address in its canonical spelling (see ``accounts.addresses``)."""

    def clean(self, value):
        value = super().clean(value)
        try:
            return canonical_email(value) if value else value
        except EmailNotValidError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


class NoColonMixin:
    """Labels read as questions and headings, without Django's trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SubscribeForm(NoColonMixin, forms.Form):
    email = EmailAddressField(
        max_length=254,
        label="Email address",
        error_messages={"required": "Enter your email address."},
    )
    interests = InterestsField(
        label="Your interests",
        help_text="Keywords or phrases, separated by commas or new lines.",
        error_messages={"required": "Tell us at least one topic you want papers about."},
    )
    # Honeypot: hidden from people by CSS, filled in by bots.
    website = forms.CharField(required=False, label="Leave this empty")

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class EmailForm(NoColonMixin, forms.Form):
    email = EmailAddressField(
        max_length=254,
        label="Email address",
        error_messages={"required": "Enter your email address."},
    )


class AddInterestsForm(NoColonMixin, forms.Form):
    phrases = InterestsField(
        label="Add interests",
        help_text="Comma- or line-separated.",
        error_messages={"required": "Type at least one keyword or phrase."},
    )
    excluded = forms.BooleanField(required=False, label="Exclude these (keep them out)")

    def __init__(self, *args, subscriber, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscriber = subscriber

    def clean_phrases(self):
        phrases = self.cleaned_data["phrases"]
        existing = {p.lower() for p in self.subscriber.interests.values_list("phrase", flat=True)}
        new = [p for p in phrases if p.lower() not in existing]
        if not new:
            raise ValidationError("You follow all of these already.")
        if len(existing) + len(new) > MAX_INTERESTS:
            raise ValidationError(
                f"You can follow at most {MAX_INTERESTS} interests; you have {len(existing)}."
            )
        return new


class InterestForm(forms.ModelForm):
    class Meta:
        model = Interest
        fields = ["weight", "excluded"]
        widgets = {"weight": forms.NumberInput(attrs={"step": "0.1", "min": "0.1", "max": "5"})}
        labels = {"excluded": "Exclude"}


def _timezone_choices():
    return [(name, name) for name in known_timezones()]


class DeliveryForm(NoColonMixin, forms.ModelForm):
    """Frequency with "paused" as a third choice, send time and digest size."""

    delivery = forms.ChoiceField(
        label="How often",
        choices=[("daily", "Daily"), ("weekly", "Weekly"), ("paused", "Paused (no emails)")],
    )
    # A text box with suggestions: a <select> of ~600 zones costs ~150 ms to render.
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=_timezone_choices,
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}),
        help_text="Start typing a city, e.g. Europe/Berlin or America/New_York.",
    )

    class Meta:
        model = Subscriber
        fields = ["send_hour", "weekly_day", "timezone", "max_papers"]
        labels = {
            "send_hour": "Delivery hour (0–23, your time)",
            "weekly_day": "Day for weekly digests",
            "max_papers": "Papers per digest (1–50)",
        }
        help_texts = {"send_hour": "", "weekly_day": ""}
        widgets = {
            "weekly_day": forms.Select(choices=list(enumerate(calendar.day_name))),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = self.instance.status == Subscriber.Status.ACTIVE
        self.initial["delivery"] = self.instance.frequency if active else "paused"
