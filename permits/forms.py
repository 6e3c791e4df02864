import datetime

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ContactType, PermitStatus, PermitType
from .record_filters import record_filters
from .selectors import PermitSearch, collections_of

EARLIEST_SEARCH_DATE = datetime.date(1900, 1, 1)


def default_applied_from(today: datetime.date | None = None) -> datetime.date:
    """The start of the default applied-date range: the same day N years ago."""
    today = today or timezone.localdate()
    years = settings.PERMIT_SEARCH_DEFAULT_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def search_date(label) -> forms.DateField:
    """A date of the search form: optional, typed as the browser's date box sends it."""
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        error_messages={"invalid": gettext_lazy("Enter the date as YYYY-MM-DD, e.g. 2024-03-31.")},
    )


class PermitSearchForm(forms.Form):
    """The public "Search Permits" form. Bound from the query string, so every field is optional
    and every bad value becomes a message on the page."""

    permit_number = forms.CharField(
        label=gettext_lazy("Permit number"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("The whole number or its beginning, e.g. RES24 or RES24-0150."),
        validators=[
            RegexValidator(
                # What a permit number may hold (core.validators.PERMIT_NUMBER), and spaces.
                r"^[A-Za-z0-9][A-Za-z0-9\-_. ]*$",
                gettext_lazy(
                    "A permit number has only letters, digits and dashes (and dots and "
                    "underscores), e.g. RES24-0150."
                ),
            )
        ],
    )
    address = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Any part of the site address."),
    )
    license_number = forms.CharField(
        label=gettext_lazy("Contractor license number"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("With its two-letter prefix, e.g. EC12345."),
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9\- ]*$",
                gettext_lazy("A license number has only letters and digits, e.g. EC12345."),
            )
        ],
    )
    permit_type = forms.ModelChoiceField(
        label=gettext_lazy("Permit type"),
        queryset=PermitType.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("Any type"),
        error_messages={"invalid_choice": gettext_lazy("Choose a permit type from the list.")},
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any status")), *PermitStatus.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose a status from the list.")},
    )
    applied_from = search_date(gettext_lazy("Applied from"))
    applied_to = search_date(gettext_lazy("Applied to"))
    issued_from = search_date(gettext_lazy("Issued from"))
    issued_to = search_date(gettext_lazy("Issued to"))

    fees_due = forms.BooleanField(label=gettext_lazy("With fees due only"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Search my records only"), required=False)

    def __init__(self, *args, offer_mine: bool = False, records: bool = False, **kwargs):
        """`records`: My Records' filters, with "Needs my action" (the filters a higher app
        offers, `record_filters`)."""
        super().__init__(*args, **kwargs)
        if not offer_mine:
            del self.fields["mine"]
        if records:
            self.fields["needs"] = forms.ChoiceField(
                label=gettext_lazy("Needs my action"),
                choices=[
                    ("", gettext_lazy("Any record")),
                    *((name, kind.label) for name, kind in record_filters().items()),
                ],
                required=False,
                error_messages={
                    "invalid_choice": gettext_lazy("Choose what needs your action from the list.")
                },
            )
        self.fields["address"].help_text = _("Any part of the site address, e.g. %(example)s.") % {
            "example": settings.PERMIT_SEARCH_ADDRESS_EXAMPLE
        }

    def clean_applied_from(self) -> datetime.date | None:
        return self._clean_date("applied_from")

    def clean_applied_to(self) -> datetime.date | None:
        return self._clean_date("applied_to")

    def clean_issued_from(self) -> datetime.date | None:
        return self._clean_date("issued_from")

    def clean_issued_to(self) -> datetime.date | None:
        return self._clean_date("issued_to")

    def _clean_date(self, name: str) -> datetime.date | None:
        value = self.cleaned_data.get(name)
        if value is not None and value < EARLIEST_SEARCH_DATE:
            raise forms.ValidationError(_("Enter a date after 1900."))
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in ("applied", "issued"):
            start, end = cleaned.get(f"{name}_from"), cleaned.get(f"{name}_to")
            if start and end and start > end:
                raise forms.ValidationError(
                    _("The “%(start)s” date is after the “%(end)s” date. Swap them or clear one.")
                    % {
                        "start": self.fields[f"{name}_from"].label,
                        "end": self.fields[f"{name}_to"].label,
                    }
                )
        return cleaned

    def is_filtered(self) -> bool:
        """Whether a valid form narrows anything beyond "with fees due only"."""
        return any(
            self.cleaned_data.get(name) not in (None, "")
            for name in self.fields
            if name not in ("fees_due", "mine")
        )

    def to_search(self, within=None) -> PermitSearch:
        data = self.cleaned_data
        return PermitSearch(
            within=within if data.get("mine") else None,
            permit_number=data["permit_number"],
            address=data["address"],
            license_number=data["license_number"],
            permit_type=data["permit_type"],
            status=data["status"],
            applied_from=data["applied_from"],
            applied_to=data["applied_to"],
            issued_from=data["issued_from"],
            issued_to=data["issued_to"],
            fees_due=data.get("fees_due", False),
        )


class CollectionChoiceForm(forms.Form):
    """ "Add to Collection": an existing collection, or a new one by name."""

    collection = forms.ModelChoiceField(
        label=gettext_lazy("Add to an existing collection"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Choose a collection"),
    )
    new_name = forms.CharField(
        label=gettext_lazy("Or create a new collection named"), max_length=80, required=False
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["collection"].queryset = collections_of(user=owner)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("collection") and not (cleaned.get("new_name") or "").strip():
            raise forms.ValidationError(_("Choose a collection, or give a name for a new one."))
        if cleaned.get("collection") and (cleaned.get("new_name") or "").strip():
            raise forms.ValidationError(_("Choose a collection or name a new one, not both."))
        return cleaned


class CollectionNameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Collection name"), max_length=80)


class PermitContactForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address of a registered user"))
    contact_type = forms.ChoiceField(
        label=gettext_lazy("Contact type"), choices=ContactType.choices
    )


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("This file is"),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "The permit no longer needs that document: upload the file as another document."
            )
        },
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, PNG or JPEG, up to the size limit."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}
        ),
    )

    def __init__(self, *args, kinds: list[str] = (), **kwargs):
        """`kinds`: the documents the permit still needs before issuance, offered by name."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            *(
                (kind, _("%(document)s (needed before issuance)") % {"document": kind})
                for kind in kinds
            ),
            ("", _("Another document")),
        ]
        self.fields["kind"].widget.attrs["class"] = "form-select"
