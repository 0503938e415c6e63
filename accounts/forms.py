import calendar
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from email_validator import EmailNotValidError

from .addresses import canonical_email
from .models import Interest, Subscriber, timezone_named, validate_visible

MAX_INTERESTS = 30
PHRASE_MIN, PHRASE_MAX = 2, 100
INTEREST_EXAMPLES = "speech recognition, diffusion transformers\nprotein folding"


_LIST_MARKER = re.compile(r"^\s*(?:[*•·‣◦–—]|\d{1,2}[.)])\s+")
_DASH_MARKER = re.compile(r"^[ \t]*-[ \t]+", re.MULTILINE)
_NEGATION = re.compile(r"-|(?:no|not|except|excluding|exclude|without)\s+(?=\S)", re.IGNORECASE)
_BUT_NOT = re.compile(r"\s+(?:but not|except|excluding)\s+", re.IGNORECASE)
_LINK = re.compile(r"[a-z][a-z0-9+.-]*://|www\.", re.IGNORECASE)


def parse_interests(text: str) -> list[tuple[str, bool]]:
    """``(phrase, excluded)`` for each phrase separated by commas or new lines: stripped,
    without empties or repeats; a phrase written with a leading minus ("-survey", as in a
    search engine) or after "no", "not", "except", "excluding", "exclude" or "without" ("no
    surveys"), or after "but not", "except" or "excluding" in a phrase ("LLM agents but not
    surveys") is a topic to keep out. A pasted list's markers are not part of its
    lines ("• speech recognition", "2) protein folding"), dashes included when every line
    of two or more starts with one ("- speech recognition")."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and all(_DASH_MARKER.match(line) for line in lines):
        text = _DASH_MARKER.sub("", text)
    interests, seen = [], set()
    for item in re.split(r"[,\n;]", text):
        followed, *kept_out = _BUT_NOT.split(_LIST_MARKER.sub("", item).strip())
        for raw, after_but_not in [(followed, False), *((p, True) for p in kept_out)]:
            negation = _NEGATION.match(raw)
            phrase = " ".join(raw[negation.end() :].split() if negation else raw.split())
            if phrase and phrase.lower() not in seen:
                seen.add(phrase.lower())
                interests.append((phrase, after_but_not or negation is not None))
    phrases = [phrase for phrase, _ in interests]
    for phrase in phrases:
        validate_visible(phrase)
    links = [p for p in phrases if _LINK.search(p)]
    if links:
        raise ValidationError(
            f"“{links[0][:40]}” is a link, not a topic: type what it is about, or find the "
            "paper with the search and rate it “More like this”."
        )
    wordless = [p for p in phrases if not any(c.isalnum() for c in p)]
    if wordless:
        raise ValidationError(
            f"“{wordless[0][:40]}” has no word in it: type a topic in words, such as "
            "“protein folding”."
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
    return interests


class InterestsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "placeholder": INTEREST_EXAMPLES})

    def __init__(self, *, error_messages=None, **kwargs):
        # Room for every interest at its longest with a list marker; far more is not a list.
        too_long = "This is longer than a list of interests can be: %(limit_value)d characters"
        super().__init__(
            max_length=MAX_INTERESTS * (PHRASE_MAX + 8),
            error_messages={"max_length": f"{too_long} at most, not %(show_value)d."}
            | (error_messages or {}),
            **kwargs,
        )

    def clean(self, value):
        interests = parse_interests(super().clean(value) or "")
        if self.required and not interests:
            raise ValidationError(self.error_messages["required"], code="required")
        return interests


class EmailAddressField(forms.EmailField):
    """An email address in its canonical spelling (see ``accounts.addresses``); one that
    Django's check lets through and no mail can reach ("x@localhost", "x@foo.test") is
    refused with the reason."""

    def clean(self, value):
        value = super().clean(value)
        try:
            return canonical_email(value) if value else value
        except EmailNotValidError as error:
            raise ValidationError(f"{EmailValidator.message} {error}", code="invalid") from error


class NoColonMixin:
    """Labels read as questions and headings, without Django's trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


WEEKDAY_CHOICES = list(enumerate(calendar.day_name))
DELIVERY_FIELDS = ["frequency", "weekly_day", "send_hour", "timezone"]
HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]
WEIGHT_MESSAGE = "Choose a weight between 0.1 and 5."


def _weekday_only_for_weekly(form, frequency_field: str) -> None:
    """Unless weekly is chosen, the posted weekday is ignored: the field keeps its initial.

    (Not ``disabled``: the page shown again after another error must let it be chosen.)
    """
    if form.is_bound and form.data.get(frequency_field) != Subscriber.Frequency.WEEKLY:
        form.data = form.data.copy()
        form.data["weekly_day"] = form.get_initial_for_field(
            form.fields["weekly_day"], "weekly_day"
        )


class TimezoneField(forms.CharField):
    """A time zone name, or a city that ends exactly one ("Berlin" gives Europe/Berlin).

    A text box with the zones as suggestions: a <select> of ~600 zones costs ~150 ms to render.
    """

    widget = forms.TextInput(
        attrs={"list": "timezones", "autocomplete": "off", "data-detect-timezone": ""}
    )

    def clean(self, value):
        value = super().clean(value)
        return timezone_named(value) if value else value


class SubscribeForm(NoColonMixin, forms.Form):
    email = EmailAddressField(
        max_length=254,
        label="Email address",
        error_messages={"required": "Enter your email address."},
    )
    interests = InterestsField(
        label="Your interests",
        help_text="Keywords or phrases, separated by commas or new lines; a minus or “no” "
        "keeps a topic out (-survey, no surveys).",
        error_messages={"required": "Tell us at least one topic you want papers about."},
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Subscriber.Frequency.choices,
        initial=Subscriber.Frequency.DAILY,
        required=False,
        widget=forms.RadioSelect,
    )
    weekly_day = forms.TypedChoiceField(
        label="Day for weekly digests",
        choices=WEEKDAY_CHOICES,
        coerce=int,
        initial=0,
        required=False,
        empty_value=0,
    )
    send_hour = forms.TypedChoiceField(
        label="Delivery hour (your time)",
        choices=HOUR_CHOICES,
        coerce=int,
        initial=7,
        required=False,
        empty_value=7,
    )
    timezone = TimezoneField(
        label="Time zone",
        max_length=64,
        required=False,
        help_text="Detected from your browser; type a city to change it, e.g. Berlin.",
    )
    # Honeypot: hidden from people by CSS, filled in by bots.
    website = forms.CharField(required=False, label="Leave this empty")

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _weekday_only_for_weekly(self, "frequency")

    def clean_interests(self):
        interests = self.cleaned_data["interests"]
        if all(excluded for _, excluded in interests):
            raise ValidationError(
                "Each of these is a topic to keep out (a minus or “no” before it); name at "
                "least one topic to follow."
            )
        return interests

    def clean(self):
        """Left empty (no JavaScript, older clients), the delivery fields get the defaults."""
        data = super().clean()
        data["frequency"] = data.get("frequency") or Subscriber.Frequency.DAILY
        data["timezone"] = data.get("timezone") or "UTC"
        return data

    def delivery(self) -> dict:
        """The delivery choices, as keyword arguments of subscriber_subscribe."""
        return {name: self.cleaned_data[name] for name in DELIVERY_FIELDS}


class EmailForm(NoColonMixin, forms.Form):
    email = EmailAddressField(
        max_length=254,
        label="Email address",
        error_messages={"required": "Enter your email address."},
    )


class AddInterestsForm(NoColonMixin, forms.Form):
    phrases = InterestsField(
        label="Add interests",
        help_text="Comma- or line-separated; a minus or “no” keeps a topic out (-survey).",
        error_messages={"required": "Type at least one keyword or phrase."},
    )
    excluded = forms.BooleanField(required=False, label="Exclude these (keep them out)")

    def __init__(self, *args, subscriber, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscriber = subscriber

    def clean_phrases(self):
        """The ``(phrase, excluded)`` the reader does not follow yet."""
        interests = self.cleaned_data["phrases"]
        existing = {p.lower() for p in self.subscriber.interests.values_list("phrase", flat=True)}
        new = [(p, excluded) for p, excluded in interests if p.lower() not in existing]
        if not new:
            raise ValidationError("You follow all of these already.")
        if len(existing) + len(new) > MAX_INTERESTS:
            raise ValidationError(
                f"You can follow at most {MAX_INTERESTS} interests; you have {len(existing)}."
            )
        return new


class InterestForm(forms.ModelForm):
    """One row of the interests table: its weight and whether it is excluded."""

    weight = forms.FloatField(
        min_value=0.1,
        max_value=5,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0.1", "max": "5"}),
        error_messages={
            key: WEIGHT_MESSAGE for key in ["required", "invalid", "min_value", "max_value"]
        },
    )

    class Meta:
        model = Interest
        fields = ["weight", "excluded"]
        labels = {"excluded": "Exclude"}


class BaseInterestFormSet(forms.BaseModelFormSet):
    """Every row of the interests table in one form; only the reader's own rows, no new ones."""

    def clean(self):
        super().clean()
        if any(form.instance.pk is None for form in self.initial_forms):
            raise ValidationError(
                "Your list of interests changed meanwhile (another tab?); reload the page."
            )


InterestFormSet = forms.modelformset_factory(
    Interest, form=InterestForm, formset=BaseInterestFormSet, extra=0, edit_only=True
)


class DeliveryForm(NoColonMixin, forms.ModelForm):
    """Frequency with "paused" as a third choice, send time and digest size."""

    delivery = forms.ChoiceField(
        label="How often",
        choices=[("daily", "Daily"), ("weekly", "Weekly"), ("paused", "Paused (no emails)")],
    )
    timezone = TimezoneField(
        label="Time zone",
        max_length=64,
        help_text="Start typing a city, e.g. Berlin or New York.",
    )
    # Declared: the model field's form field would refuse -5 as "not at least 0".
    max_papers = forms.IntegerField(min_value=1, max_value=50, label="Papers per digest (1–50)")

    class Meta:
        model = Subscriber
        fields = ["send_hour", "weekly_day", "timezone", "max_papers"]
        labels = {
            "send_hour": "Delivery hour (your time)",
            "weekly_day": "Day for weekly digests",
        }
        help_texts = {"send_hour": "", "weekly_day": ""}
        widgets = {
            "weekly_day": forms.Select(choices=WEEKDAY_CHOICES),
            "send_hour": forms.Select(choices=HOUR_CHOICES),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = self.instance.status == Subscriber.Status.ACTIVE
        self.initial["delivery"] = self.instance.frequency if active else "paused"
        _weekday_only_for_weekly(self, "delivery")
