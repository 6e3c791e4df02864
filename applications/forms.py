"""The application's step forms. Each binds what was typed; the step saves it as typed whether
or not it is valid (a draft never loses anything), and shows each error beside its field."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.validators import STATE, ZIP
from licenses.models import License

from .answers import MAX_ANSWER_LENGTH, signature_problem
from .models import ApplicationContact, DocumentRequirement, Question, QuestionKind

ANSWER_PREFIX = "q_"


class LocationForm(forms.Form):
    street_number = forms.CharField(
        label=gettext_lazy("Street number"), max_length=20, required=False
    )
    street_name = forms.CharField(
        label=gettext_lazy("Street name"),
        max_length=200,
        help_text=gettext_lazy(
            "Addresses of the city's permits are offered as you type; a new one is fine."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "address-suggestions"}),
    )
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=30, required=False)
    city = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False)
    state = forms.CharField(
        label=gettext_lazy("State"), max_length=2, required=False, validators=[STATE]
    )
    zip_code = forms.CharField(
        label=gettext_lazy("ZIP"), max_length=10, required=False, validators=[ZIP]
    )
    parcel_number = forms.CharField(
        label=gettext_lazy("Parcel number"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("From the county's records, e.g. 14-26.0-168-084, if you know it."),
    )


class PeopleForm(forms.Form):
    license = forms.TypedChoiceField(
        label=gettext_lazy("Business and license professional"),
        coerce=int,
        empty_value=None,
        help_text=gettext_lazy(
            "The license responsible for the work: one of your businesses' active licenses."
        ),
    )
    owner_name = forms.CharField(label=gettext_lazy("Property owner's name"), max_length=200)
    owner_email = forms.EmailField(label=gettext_lazy("Property owner's email"), required=False)

    def __init__(self, *args, licenses: list[License], why: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if why:  # which of the user's licenses may not apply for this type, and why
            self.fields["license"].help_text = f"{self.fields['license'].help_text} {why}"
        self.fields["license"].choices = [
            ("", _("Choose a license")),
            *(
                (
                    lic.pk,
                    _("%(business)s: %(type)s license %(number)s")
                    % {
                        "business": lic.holder.business_name,
                        "type": lic.license_type.name,
                        "number": lic.number,
                    },
                )
                for lic in licenses
            ),
        ]


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Contact's name"), max_length=200, required=False)
    # Not marked required: the contacts box is optional; a contact once begun needs both.
    email = forms.EmailField(label=gettext_lazy("Contact's email"), required=False)
    contact_type = forms.ChoiceField(
        label=gettext_lazy("Contact type"),
        choices=[("", gettext_lazy("Choose")), *ApplicationContact.CONTACT_TYPES],
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", _("Give the contact's email."))
        if not cleaned.get("contact_type"):
            self.add_error("contact_type", _("Choose the contact's type."))
        return cleaned


def answer_field(question: Question) -> forms.Field:
    """The form field of a question. Fields take any text: the answer is kept as typed and
    checked by applications.answers (one set of rules for the page and for submitting). The
    field's `question_label` is the question's own (its label may say it is required)."""
    label = (
        _("%(question)s (required)") % {"question": question.label}
        if question.required
        else question.label
    )
    common = {"label": label, "required": False, "help_text": question.help_text}
    if question.kind == QuestionKind.LONG_TEXT:
        field = forms.CharField(
            widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_ANSWER_LENGTH, **common
        )
    elif question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
        field = forms.ChoiceField(
            choices=[(option, question.option_label(option)) for option in question.options],
            widget=forms.RadioSelect,
            **common,
        )
    elif question.kind == QuestionKind.MULTIPLE_CHOICE:
        field = forms.MultipleChoiceField(
            choices=[(option, option) for option in question.options],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    else:
        attrs = {}
        if question.kind == QuestionKind.DATE:
            attrs = {"type": "date"}
        elif question.kind in (QuestionKind.NUMBER, QuestionKind.MONEY):
            attrs = {"inputmode": "numeric" if question.whole_number else "decimal"}
            rule = question.limits_label or (
                _("In %(unit)s.") % {"unit": question.unit} if question.unit else ""
            )
            common["help_text"] = " ".join(part for part in (question.help_text, rule) if part)
        field = forms.CharField(
            widget=forms.TextInput(attrs=attrs), max_length=MAX_ANSWER_LENGTH, **common
        )
    field.question_label = question.label
    return field


class AnswersForm(forms.Form):
    """The Details step: the form's questions (those an earlier answer hides are shown
    with what they depend on, and hidden by the page's script when it runs)."""

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = {question.key: question for question in questions}
        for question in questions:
            self.fields[ANSWER_PREFIX + question.key] = answer_field(question)

    def typed_answers(self) -> dict:
        """What was posted for each question, as typed (the form need not be valid)."""
        answers = {}
        for key, question in self.questions.items():
            name = self.add_prefix(ANSWER_PREFIX + key)
            if question.kind == QuestionKind.MULTIPLE_CHOICE:
                answers[key] = self.data.getlist(name)
            else:
                answers[key] = self.data.get(name, "")
        return answers


class DocumentUploadForm(forms.Form):
    requirement = forms.TypedChoiceField(
        label=gettext_lazy("Document"), coerce=int, empty_value=None, required=False
    )
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(
        self, *args, requirements: list[DocumentRequirement], missing: list[int] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].choices = [
            *((req.pk, req.name) for req in requirements),
            ("", _("Other document")),
        ]
        # The first document still missing is the likely one (never "Other" by default).
        if missing:
            self.fields["requirement"].initial = missing[0]
        # The file picker offers the formats the portal takes (each file is checked again by
        # its content against its document's formats).
        self.fields["file"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"


class AttestationForm(forms.Form):
    agree = forms.BooleanField(
        label=gettext_lazy(
            "I attest that the information in this application is true and complete, and that "
            "I am authorized to apply for this permit on the owner's behalf."
        )
    )
    attestation = forms.CharField(
        label=gettext_lazy("Type your full name to sign"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args, full_name: str, **kwargs):
        """`full_name`: the signer's, as their account has it; the signature must be it."""
        super().__init__(*args, **kwargs)
        self.full_name = full_name
        if full_name.strip():
            self.fields["attestation"].help_text = _("As on your account: %(name)s.") % {
                "name": full_name.strip()
            }

    def clean_attestation(self) -> str:
        name = self.cleaned_data["attestation"]
        if problem := signature_problem(name, self.full_name):
            raise forms.ValidationError(problem, code="not_the_signer")
        return name


class ReturnForm(forms.Form):
    reasons = forms.CharField(
        label=gettext_lazy("What is missing or wrong (sent to the applicant)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
    )


class EstimatorForm(forms.Form):
    """The public guide's fee estimator: the questions the fee schedule reads."""

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[ANSWER_PREFIX + question.key] = answer_field(question)

    def answers(self) -> dict:
        answers = {}
        for question in self.questions:
            name = ANSWER_PREFIX + question.key
            if question.kind == QuestionKind.MULTIPLE_CHOICE:
                answers[question.key] = self.data.getlist(name)
            else:
                answers[question.key] = self.data.get(name, "")
        return answers
