"""The applicant's forms on the Reviews and Corrections pages."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import DocumentRequirement
from core.uploads import megabytes

NEEDED = "needed-"  # a choice of "This file is": a document needed before issuance


class CorrectionUploadForm(forms.Form):
    """A corrected document: a new version of one already uploaded, one of the documents the
    form needs before issuance (it then has it: issue 23), or another new one."""

    replaces = forms.ChoiceField(label=gettext_lazy("This file is"), required=False)
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args, documents: list, needed: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaces"].choices = [
            *((document.pk, _new_version_label(document)) for document in documents),
            *(
                (
                    f"{NEEDED}{requirement.pk}",
                    _("The %(document)s (needed before issuance)") % {"document": requirement.name},
                )
                for requirement in needed or ()
            ),
            ("", _("A new document")),
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


def _new_version_label(document) -> str:
    if document.requirement:
        return _("A new version of %(file)s (%(document)s)") % {
            "file": document.original_name,
            "document": document.requirement.name,
        }
    return _("A new version of %(file)s") % {"file": document.original_name}


class IssuanceUploadForm(forms.Form):
    """A document the form needs before the permit is issued."""

    requirement = forms.TypedChoiceField(label=gettext_lazy("Document"), coerce=int)
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args, requirements: list[DocumentRequirement], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement"].choices = [(req.pk, req.name) for req in requirements]
        self.fields["file"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"


class ConditionAnswerForm(forms.Form):
    """How a condition of approval is met, and a document showing it (optional). The note comes
    before the file: a file past the limit stops the form there, and the note is kept."""

    note = forms.CharField(
        label=gettext_lazy("How the condition is met"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Say how the condition is met.")},
    )
    document = forms.FileField(
        label=gettext_lazy("Document (optional)"),
        required=False,
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        """`max_bytes`: the largest file the page's view takes (core.uploads.upload_max_bytes)."""
        super().__init__(*args, **kwargs)
        self.fields["document"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg"
        self.fields["document"].help_text = _(
            "PDF, PNG or JPEG, up to %(size)s: a letter, a recorded document, a photo. It is "
            "added to the permit's documents."
        ) % {"size": megabytes(max_bytes)}
