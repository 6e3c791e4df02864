"""A newer version of an application form: publishing it (staff), and a draft moved onto it."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..models import (
    Application,
    ApplicationTemplate,
    TemplateStatus,
)
from ..selectors import template_parts

# A newer version of the form ------------------------------------------------------------------


@transaction.atomic
def application_upgrade(*, application: Application) -> list[str]:
    """Move an editable application from a form the city has since replaced to the type's
    published one: answers carry over by question key; the questions that changed (or are
    new) are to be confirmed; documents follow their requirement by name. Returns the labels
    of the questions to confirm. Nothing happens when the application is on the published
    form, or the type is closed."""
    from ..selectors import open_template_for

    application = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
    current = application.template
    if not application.is_editable or current.status == TemplateStatus.PUBLISHED:
        return []
    newer = open_template_for(current.permit_type.code)
    if newer is None or newer.pk == current.pk:
        return []
    old, new = template_parts(current), template_parts(newer)
    old_by_key = {question.key: question for question in old.questions}
    changed = [
        question
        for question in new.questions
        if question.key not in old_by_key
        or old_by_key[question.key].signature() != question.signature()
    ]
    keys = {question.key for question in new.questions}
    application.answers = {k: v for k, v in application.answers.items() if k in keys}
    application.to_confirm = sorted({*application.to_confirm, *(q.key for q in changed)} & keys)
    application.template = newer
    application.save(update_fields=["answers", "to_confirm", "template", "updated_at"])
    by_name = {requirement.name.lower(): requirement for requirement in new.documents}
    for document in application.documents.select_related("requirement"):
        if document.requirement is not None:
            document.requirement = by_name.get(document.requirement.name.lower())
            document.save(update_fields=["requirement"])
    return [question.label for question in changed]


@transaction.atomic
def template_publish(*, template: ApplicationTemplate, by) -> ApplicationTemplate:
    """Publish a draft version: it is frozen, and the version it replaces is retired (drafts on
    it move to the new one when next opened, re-confirming only what changed)."""
    template = ApplicationTemplate.objects.select_for_update().get(pk=template.pk)
    previous = ApplicationTemplate.objects.select_for_update().filter(
        permit_type=template.permit_type, status=TemplateStatus.PUBLISHED
    )
    for old in previous:
        old.move_to(
            TemplateStatus.RETIRED,
            by=by,
            note=_("Replaced by version %(version)s") % {"version": template.version},
        )
    template.move_to(
        TemplateStatus.PUBLISHED, by=by, note=pgettext("application form status", "Published")
    )
    return template


@transaction.atomic
def template_new_version(*, template: ApplicationTemplate, by) -> ApplicationTemplate:
    """A draft copy of a version (its questions, documents and fees), to change and publish."""
    copy = ApplicationTemplate.objects.create(
        permit_type=template.permit_type, category=template.category, summary=template.summary
    )
    for related in (template.questions, template.document_requirements, template.fee_rules):
        rows = list(related.all())
        for row in rows:
            row.pk = None
            row.template = copy
        related.model.objects.bulk_create(rows)
    return copy
