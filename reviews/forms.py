"""The applicant's forms on the Reviews and Corrections pages."""

from django import forms

from applications.models import DocumentRequirement
from core.uploads import megabytes

NEEDED = "needed-"  # a choice of "This file is": a document needed before issuance


class CorrectionUploadForm(forms.Form):
    """A corrected document: a new version of one already uploaded, one of the documents the
    form needs before issuance (it then has it: issue 23), or another new one."""

    replaces = forms.ChoiceField(label="This file is", required=False)
    file = forms.FileField(label="File")

    def __init__(self, *args, documents: list, needed: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaces"].choices = [
            *(
                (
                    document.pk,
                    f"A new version of {document.original_name}"
                    + (f" ({document.requirement.name})" if document.requirement else ""),
                )
                for document in documents
            ),
            *(
                (f"{NEEDED}{requirement.pk}", f"The {requirement.name} (needed before issuance)")
                for requirement in needed or ()
            ),
            ("", "A new document"),
        ]
        self.fields["file"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"

    def clean(self):
        """`replaces`: the document it is a new version of (None: a new one); `requirement`:
        the document needed before issuance that it is (None: not one)."""
        data = super().clean()
        chosen = data.get("replaces") or ""
        data["requirement"] = (
            int(chosen.removeprefix(NEEDED)) if chosen.startswith(NEEDED) else None
        )
        data["replaces"] = int(chosen) if chosen.isdigit() else None
        return data


class IssuanceUploadForm(forms.Form):
    """A document the form needs before the permit is issued."""

    requirement = forms.TypedChoiceField(label="Document", coerce=int)
    file = forms.FileField(label="File")

    def __init__(self, *args, requirements: list[DocumentRequirement], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].choices = [(req.pk, req.name) for req in requirements]
        self.fields["file"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"


class ConditionAnswerForm(forms.Form):
    """How a condition of approval is met, and a document showing it (optional). The note comes
    before the file: a file past the limit stops the form there, and the note is kept."""

    note = forms.CharField(
        label="How the condition is met",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Say how the condition is met."},
    )
    document = forms.FileField(
        label="Document (optional)",
        required=False,
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        """`max_bytes`: the largest file the page's view takes (core.uploads.upload_max_bytes)."""
        super().__init__(*args, **kwargs)
        self.fields["document"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"
        self.fields["document"].help_text = (
            f"PDF, PNG or JPEG, up to {megabytes(max_bytes)}: a letter, a recorded document, a "
            "photo. It is added to the permit's documents."
        )
