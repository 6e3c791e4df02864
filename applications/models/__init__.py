"""Online applications: the forms staff publish per permit type (versioned templates of
questions, required documents and a fee schedule), the drafts contractors fill in, and what
they submitted, kept as it was."""

from .applications import (
    EDITABLE_STATUSES,
    REFERENCE_ALPHABET,
    Application,
    ApplicationContact,
    ApplicationDocument,
    ApplicationStatus,
    IntakeQueue,
    Submission,
    SubmissionOutcome,
    application_document_path,
    new_reference,
)
from .fee_rules import FeeKind, FeeRule
from .templates import (
    DOCUMENT_FORMATS,
    FORMAT_LABELS,
    FORMATS,
    KEY,
    ApplicationTemplate,
    DocumentRequirement,
    DocumentStage,
    FrozenWithTemplate,
    Question,
    QuestionFills,
    QuestionKind,
    TemplateStatus,
)

__all__ = [
    "DOCUMENT_FORMATS",
    "EDITABLE_STATUSES",
    "FORMATS",
    "FORMAT_LABELS",
    "KEY",
    "REFERENCE_ALPHABET",
    "Application",
    "ApplicationContact",
    "ApplicationDocument",
    "ApplicationStatus",
    "ApplicationTemplate",
    "DocumentRequirement",
    "DocumentStage",
    "FeeKind",
    "FeeRule",
    "FrozenWithTemplate",
    "IntakeQueue",
    "Question",
    "QuestionFills",
    "QuestionKind",
    "Submission",
    "SubmissionOutcome",
    "TemplateStatus",
    "application_document_path",
    "new_reference",
]
