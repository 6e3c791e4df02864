"""Every write to online applications, one module per concern:

- `drafts`: starting an application, saving each step, its documents (the applicant);
- `submit`: submitting, withdrawing, deleting a draft, copying;
- `versions`: publishing a form's new version, and moving a draft onto it;
- `intake`: accepting or returning at intake (staff); drafts that lapse (Celery beat).

The applicant's writes re-ask the policy (policy.applications); every status moves through the
status machine. A draft keeps what was typed, valid or not: the pages say what is wrong, and
submitting refuses until nothing is.
"""

from .drafts import (
    LOCATION_FIELDS,
    NOT_EDITABLE,
    NOT_YOURS,
    application_attest,
    application_contact_add,
    application_contact_remove,
    application_document_delete,
    application_document_upload,
    application_mark_step,
    application_save_answers,
    application_save_location,
    application_save_people,
    application_start,
    application_step_visited,
    application_upload_limit,
    requirement_for,
    store_document,
)
from .intake import (
    REMINDER_DAYS_BEFORE,
    application_accept,
    application_drafts_expire,
    application_return,
)
from .submit import (
    application_copy,
    application_delete,
    application_snapshot,
    application_submit,
    application_withdraw,
)
from .versions import (
    application_upgrade,
    template_new_version,
    template_publish,
)

__all__ = [
    "LOCATION_FIELDS",
    "NOT_EDITABLE",
    "NOT_YOURS",
    "REMINDER_DAYS_BEFORE",
    "application_accept",
    "application_attest",
    "application_contact_add",
    "application_contact_remove",
    "application_copy",
    "application_delete",
    "application_document_delete",
    "application_document_upload",
    "application_drafts_expire",
    "application_mark_step",
    "application_return",
    "application_save_answers",
    "application_save_location",
    "application_save_people",
    "application_snapshot",
    "application_start",
    "application_step_visited",
    "application_submit",
    "application_upgrade",
    "application_upload_limit",
    "application_withdraw",
    "requirement_for",
    "store_document",
    "template_new_version",
    "template_publish",
]
