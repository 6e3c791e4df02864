import datetime

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.validators import PHONE

from .models import InspectionResult, TimePreference
from .scheduling import day_label


class HeldRadioSelect(forms.RadioSelect):
    """Radio buttons of which some are shown but cannot be chosen (`held`: their values)."""

    held: frozenset = frozenset()

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.held:
            option["attrs"]["disabled"] = True
        return option


class InspectionTypeForm(forms.Form):
    inspection_type = forms.TypedChoiceField(
        label=gettext_lazy("Inspection"),
        coerce=int,
        widget=HeldRadioSelect,
        error_messages={"required": gettext_lazy("Choose an inspection.")},
    )

    def __init__(
        self, *args, choices: list[tuple[int, str]], held: dict[int, str] | None = None, **kwargs
    ):
        """`held`: the inspections that cannot be requested yet, each with the reason, shown
        with it and not to be chosen (a final inspection before its conditions are met)."""
        super().__init__(*args, **kwargs)
        self.held = held or {}
        field = self.fields["inspection_type"]
        field.choices = choices
        field.widget.held = frozenset(self.held)

    def clean_inspection_type(self) -> int:
        chosen = self.cleaned_data["inspection_type"]
        if chosen in self.held:
            raise forms.ValidationError(
                _("Not available yet: %(reasons)s.") % {"reasons": self.held[chosen]}
            )
        return chosen


DAY_REFUSED = gettext_lazy("That day cannot be requested: choose one of the days offered.")


def day_choices(days: list[datetime.date]) -> list[tuple[str, str]]:
    return [(day.isoformat(), day_label(day)) for day in days]


class InspectionDateForm(forms.Form):
    day = forms.TypedChoiceField(
        label=gettext_lazy("Inspection date"),
        coerce=datetime.date.fromisoformat,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": DAY_REFUSED},
    )
    time_preference = forms.ChoiceField(
        label=gettext_lazy("AM/PM preference (optional)"),
        choices=TimePreference.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, days: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = day_choices(days)


class InspectionContactForm(forms.Form):
    contact_name = forms.CharField(label=gettext_lazy("Contact name"), max_length=150)
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone"), max_length=30, validators=[PHONE]
    )


class InspectionNotesForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Include Additional Notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "For the inspector: gate codes, where to meet, what is ready. Seen only by the "
            "building department's staff and inspectors; not shown on the portal again."
        ),
    )


class InspectionResultForm(forms.Form):
    """The inspector's result of a visit, recorded from My stops."""

    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=InspectionResult.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose a result.")},
    )
    result_comments = forms.CharField(
        label=gettext_lazy("Comments for the contractor"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Shown on the permit's public page and in the result email."),
    )
    inspector_notes = forms.CharField(
        label=gettext_lazy("Internal notes"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For staff and inspectors only; never shown on the portal."),
    )


class ReinspectionForm(forms.Form):
    day = forms.TypedChoiceField(
        label=gettext_lazy("Re-inspection date"),
        coerce=datetime.date.fromisoformat,
        error_messages={"invalid_choice": DAY_REFUSED},
    )

    def __init__(self, *args, days: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = day_choices(days)
