"""Application forms are versioned: publishing freezes a version and retires the one it
replaces; a draft started on the old one re-confirms only the questions that changed."""

import pytest
from django.db import IntegrityError, transaction

from applications import services
from applications.exceptions import InvalidApplicationStatusMove, TemplateFrozen
from applications.models import ApplicationTemplate, Question, TemplateStatus
from applications.selectors import application_progress, template_parts

from .conftest import make_form


def test_a_published_form_never_changes(form):
    question = form.questions.first()
    question.label = "Something else"
    with pytest.raises(TemplateFrozen):
        question.save()
    with pytest.raises(TemplateFrozen):
        form.document_requirements.first().delete()
    with pytest.raises(TemplateFrozen):
        Question.objects.create(template=form, section="X", key="new_one", label="New")


def test_a_type_has_one_published_form(form, db):
    other = ApplicationTemplate.objects.create(
        permit_type=form.permit_type, category="Building", summary="."
    )
    assert other.version == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationTemplate.objects.filter(pk=other.pk).update(status=TemplateStatus.PUBLISHED)


def test_publishing_a_new_version_retires_the_old_one(form):
    draft = services.template_new_version(template=form, by=None)
    assert draft.status == TemplateStatus.DRAFT
    assert draft.questions.count() == form.questions.count()
    assert draft.fee_rules.count() == form.fee_rules.count()
    services.template_publish(template=draft, by=None)
    form.refresh_from_db()
    draft.refresh_from_db()
    assert (form.status, draft.status) == (TemplateStatus.RETIRED, TemplateStatus.PUBLISHED)


def test_a_form_whose_condition_names_no_earlier_question_is_not_published(db):
    template = make_form("DEM", publish=False)
    Question.objects.create(
        template=template,
        section="S",
        position=99,
        key="orphan",
        label="Orphan",
        show_if_key="nothing_here",
        show_if_value="Yes",
    )
    with pytest.raises(InvalidApplicationStatusMove, match="not the key of an earlier question"):
        services.template_publish(template=template, by=None)


def test_a_draft_on_a_replaced_form_reconfirms_only_the_changed_questions(
    form, applicant, license_
):
    from .conftest import COMPLETE_ANSWERS, fill_in

    application = services.application_start(template=form, applicant=applicant)
    fill_in(application, license_, by=applicant)
    draft = services.template_new_version(template=form, by=None)
    changed = draft.questions.get(key="floor_area")
    changed.label = "Floor area, heated"
    changed.save()
    draft.questions.get(key="fixtures").delete()
    Question.objects.create(
        template=draft,
        section="Systems",
        position=50,
        key="hvac",
        label="New HVAC?",
        kind="yes_no",
        required=False,
    )
    services.template_publish(template=draft, by=None)

    labels = services.application_upgrade(application=application)

    application.refresh_from_db()
    assert application.template == draft
    assert set(labels) == {"Floor area, heated", "New HVAC?"}
    assert application.answers["floor_area"] == COMPLETE_ANSWERS["floor_area"]
    progress = application_progress(application, template_parts(draft), user=applicant)
    assert [item.anchor for item in progress.missing] == ["floor_area", "hvac"]
    # Confirming is saving the question.
    services.application_save_answers(
        application=application, by=applicant, answers={"floor_area": "480", "hvac": ""}
    )
    application.refresh_from_db()
    assert application_progress(application, template_parts(draft), user=applicant).complete
    # The site plan follows its requirement, by name, to the new version.
    assert application.documents.get().requirement.template == draft
