import datetime

from django import forms

from core.validators import PHONE

from .models import TimePreference


class InspectionTypeForm(forms.Form):
    inspection_type = forms.TypedChoiceField(
        label="Inspection",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an inspection."},
    )

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspection_type"].choices = choices


class InspectionDateForm(forms.Form):
    day = forms.TypedChoiceField(
        label="Inspection date",
        coerce=datetime.date.fromisoformat,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": "That day cannot be requested: choose one of the days offered."
        },
    )
    time_preference = forms.ChoiceField(
        label="AM/PM preference (optional)",
        choices=TimePreference.choices,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, days: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [(day.isoformat(), f"{day:%A %m/%d/%Y}") for day in days]


class InspectionContactForm(forms.Form):
    contact_name = forms.CharField(label="Contact name", max_length=150)
    contact_phone = forms.CharField(label="Contact phone", max_length=30, validators=[PHONE])


class InspectionNotesForm(forms.Form):
    notes = forms.CharField(
        label="Include Additional Notes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "For the inspector: gate codes, where to meet, what is ready. Seen only by the "
            "building department's staff and inspectors; not shown on the portal again."
        ),
    )
