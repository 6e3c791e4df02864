"""Plan review's reads for the applicant's pages: a permit's cycles with their reviews and (once
decided) comments, and the clock that counts the days the city holds the file."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import (
    Application,
    DocumentRequirement,
    DocumentStage,
)
from applications.selectors import applications_of_permits_part, issuance_documents_part
from core.calendar import business_days_between
from core.pagination import Countable
from core.sql import Part, partial, union_all
from permits.checks import Needed
from permits.models import Permit, PermitStatus
from permits.selectors import document_kinds_part
from policy.permits import can_answer_condition

from .models import (
    AwaitingAnswer,
    ConditionStage,
    Review,
    ReviewComment,
    ReviewCondition,
    ReviewCycle,
    ReviewStatus,
)

# Approved and not issued yet: what is still needed before issuance is worth saying.
APPROVED_STATUSES = (PermitStatus.PENDING_APPROVAL, PermitStatus.READY_TO_ISSUE)


def days_in_review(cycles) -> int:
    """Business days the city held the file: from each cycle's start to its decision (or
    today); the time with the applicant between cycles does not count."""
    today = timezone.localdate()
    return sum(
        business_days_between(
            timezone.localdate(cycle.opened_at),
            timezone.localdate(cycle.decided_at) if cycle.decided_at else today,
        )
        for cycle in cycles
    )


@dataclass
class PermitReviews:
    application: Application
    cycles: list[ReviewCycle]  # newest first, each with .reviews and their .comments

    @property
    def days_in_review(self) -> int:
        return days_in_review(self.cycles)

    @property
    def with_city(self) -> bool:
        return bool(self.cycles) and self.cycles[0].decided_at is None


def permit_reviews(permit: Permit) -> PermitReviews | None:
    """The review cycles of the application the permit came from, or None (a permit made at the
    counter or imported)."""
    application = Application.objects.filter(permit=permit).select_related("permit").first()
    if application is None:
        return None
    cycles = list(
        ReviewCycle.objects.filter(application=application)
        .order_by("-number")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("discipline", "reviewer").prefetch_related(
                    Prefetch("comments", queryset=ReviewComment.objects.select_related("reason")),
                    "conditions",
                ),
            )
        )
    )
    return PermitReviews(application=application, cycles=cycles)


def permit_page_links(permit: Permit) -> list[tuple[str, str]]:
    """The permit page's link to its Reviews (one query), when it was applied for online."""
    from django.urls import reverse

    if not Application.objects.filter(permit=permit).exists():
        return []
    return [(_("Reviews"), reverse("reviews:permit_reviews", args=[permit.number]))]


def conditions_card_section(permit: Permit):
    """The permit card's conditions of approval (none: no section)."""
    from permits.cards import CardSection

    from .models import ReviewCondition

    conditions = list(
        ReviewCondition.objects.filter(review__cycle__application__permit=permit).order_by("id")
    )
    if not conditions:
        return None
    return CardSection(
        title=_("Conditions of approval"),
        columns=[_("Condition"), _("To meet"), _("Met")],
        rows=[
            [
                condition.text,
                _("before issuance") if condition.stage == "issuance" else _("before the final"),
                date_format(condition.met_at, "SHORT_DATE_FORMAT")
                if condition.met_at
                else _("not yet"),
            ]
            for condition in conditions
        ],
    )


@dataclass
class IssuanceMissing:
    """What a permit applied for online still lacks before it is issued."""

    documents: list[DocumentRequirement] = field(default_factory=list)
    conditions: list[ReviewCondition] = field(default_factory=list)


# Its own part of `issuance_missing_of`'s read: the conditions to meet before issuance, not met
# yet, of the permits' applications (the applications app's part names them).
_CONDITIONS_BEFORE_ISSUANCE = """
SELECT %s, CAST(NULL AS bigint), c.application_id, k.id, CAST(k.text AS text),
       CAST(NULL AS text), CAST(NULL AS integer), 0
  FROM applications_reviewcondition k
  JOIN applications_review r ON r.id = k.review_id
  JOIN applications_reviewcycle c ON c.id = r.cycle_id
 WHERE k.stage = %s AND k.met_at IS NULL AND c.application_id IN ({applications})"""


def issuance_missing_of(permit_ids: Iterable[int]) -> dict[int, IssuanceMissing]:
    """By permit id: the documents its form needs before issuance not in yet (uploaded with the
    application, or to the permit as that kind of document, wherever from), and its conditions
    of approval to meet before issuance not met yet (none: no entry). One query however many
    permits (the dashboard asks it for its pages' permits on every visit): each app's part of
    its own tables, written out (the ORM took longer to build it than the database to answer).
    The requirements and conditions are loaded with the fields their readers use (the name and
    formats; the text)."""
    permit_ids = sorted(set(permit_ids))
    if not permit_ids:
        return {}
    applications = applications_of_permits_part(permit_ids=permit_ids)
    rows = union_all(
        [
            issuance_documents_part(label="document", permit_ids=permit_ids),
            document_kinds_part(label="kind", permit_ids=permit_ids),
            Part(
                _CONDITIONS_BEFORE_ISSUANCE.format(applications=applications.sql),
                ("condition", ConditionStage.BEFORE_ISSUANCE, *applications.params),
            ),
        ]
    )
    kinds, permit_of, documents, conditions = set(), {}, [], []
    for label, permit_id, application_id, pk, text, formats, position, uploaded in rows:
        if label == "kind":
            kinds.add((permit_id, text))
        elif label == "document":
            permit_of[application_id] = permit_id
            if pk is not None and not uploaded:
                documents.append((position, pk, permit_id, text, formats))
        else:
            conditions.append((pk, application_id, text))
    db = DocumentRequirement.objects.db
    missing: dict[int, IssuanceMissing] = defaultdict(IssuanceMissing)
    for position, pk, permit_id, name, formats in sorted(documents):
        if (permit_id, name) in kinds:
            continue
        requirement = partial(
            DocumentRequirement,
            db,
            id=pk,
            name=name,
            formats=formats,
            position=position,
            stage=DocumentStage.ISSUANCE,
        )
        missing[permit_id].documents.append(requirement)
    for pk, application_id, text in sorted(conditions):
        condition = partial(
            ReviewCondition, db, id=pk, text=text, stage=ConditionStage.BEFORE_ISSUANCE, met_at=None
        )
        missing[permit_of[application_id]].conditions.append(condition)
    return dict(missing)


def condition_label(condition: ReviewCondition) -> str:
    text = condition.text if len(condition.text) <= 80 else f"{condition.text[:79]}…"
    return _("the condition “%(condition)s” met") % {"condition": text}


def issuance_needs_for(permits: Sequence[Permit]) -> dict[int, list[Needed]]:
    """permits.checks' issuance needs of a page of permits: for those approved and not issued
    yet, each document still needed (uploaded as that kind, it meets the need) and each
    condition to meet before issuance (answered on the permit's page)."""
    approved = [permit.pk for permit in permits if permit.status in APPROVED_STATUSES]
    if not approved:
        return {}
    return {
        permit_id: [
            *(
                Needed(
                    label=requirement.name,
                    kind=requirement.name,
                    content_types=frozenset(requirement.content_types),
                    formats=requirement.formats_label,
                )
                for requirement in missing.documents
            ),
            *(
                Needed(label=condition_label(condition), anchor="conditions")
                for condition in missing.conditions
            ),
        ]
        for permit_id, missing in issuance_missing_of(approved).items()
    }


def conditions_page_section(permit: Permit, user):
    """The permit page's conditions of approval, each met, answered or not yet, with an Answer
    button for who may answer (one query; none: no section)."""
    from permits.pages import PageSection

    conditions = list(
        ReviewCondition.objects.filter(review__cycle__application__permit=permit)
        .select_related("answer_document")
        .order_by("id")
    )
    if not conditions:
        return None
    return PageSection(
        template="reviews/permit_conditions.html",
        context={"conditions": conditions, "may_answer": can_answer_condition(user, permit)},
    )


# The dashboard's "Needs your action" (portal.actions): the permits that wait for their
# contractor's answer to plan review. On PostgreSQL, from AwaitingAnswer's index (kept by
# triggers): a contractor's few, however many permits they hold. Through the ORM elsewhere, by
# the definitions, which tests/portal/test_dashboard_paths.py holds the table to.

_AWAITING_COUNT = """
SELECT %s, COUNT(DISTINCT permit_id) FROM reviews_awaitinganswer
 WHERE license_id IN %s AND kind = %s"""
_AWAITING_PAGE = """
(SELECT DISTINCT %s, permit_id, applied_on FROM reviews_awaitinganswer
  WHERE license_id IN %s AND kind = %s
  ORDER BY applied_on DESC, permit_id DESC LIMIT %s OFFSET %s)"""


def awaiting_count_part(*, label: str, license_ids: Iterable[int], kind: str) -> Part:
    """(label, how many permits naming one of these licenses wait for this answer (an
    AwaitingKind))."""
    license_ids = sorted(license_ids)
    sql = _AWAITING_COUNT
    if len(license_ids) == 1:  # one license names a permit once
        sql = sql.replace("COUNT(DISTINCT permit_id)", "COUNT(*)")
    return Part(sql, (label, license_ids, kind))


def awaiting_page_part(
    *, label: str, license_ids: Iterable[int], kind: str, limit: int, offset: int
) -> Part:
    """(label, permit id, applied date) of a page of them, newest first."""
    license_ids = sorted(license_ids)
    sql = _AWAITING_PAGE.replace("DISTINCT ", "") if len(license_ids) == 1 else _AWAITING_PAGE
    return Part(sql, (label, license_ids, kind, limit, offset))


def _awaiting(license_ids: frozenset[int], kind: str) -> QuerySet:
    return AwaitingAnswer.objects.filter(license_id__in=license_ids, kind=kind)


def awaiting_rows(*, license_ids: Iterable[int], kind: str) -> QuerySet:
    """The parts' rows through the ORM ({"permit_id", "applied"}, newest first): on PostgreSQL,
    for a dashboard read through the ORM (a contact's), from the same index."""
    license_ids = frozenset(license_ids)
    rows = _awaiting(license_ids, kind).values("permit_id", applied=F("applied_on"))
    if len(license_ids) > 1:
        rows = rows.distinct()
    return rows.order_by("-applied", "-permit_id")


def awaiting_permit_ids(*, license_ids: Iterable[int], kind: str) -> QuerySet:
    """The `permit_id`s of `awaiting_rows`, for an IN (My Records' "Needs my action")."""
    return _awaiting(frozenset(license_ids), kind).values("permit_id")


def awaiting_countable(*, license_ids: Iterable[int], kind: str) -> Countable:
    license_ids = frozenset(license_ids)
    return Countable(_awaiting(license_ids, kind), "permit_id" if len(license_ids) > 1 else None)


def awaiting_corrections_permit_ids() -> QuerySet:
    """The permits whose plan review asked for corrections not resubmitted yet: the latest
    cycle of their application is decided with corrections asked (as
    `reviews.services.cycle_awaiting_corrections`). For a permits' read to keep (`among`)."""
    later = ReviewCycle.objects.filter(
        application_id=OuterRef("application_id"), number__gt=OuterRef("number")
    )
    asked = Review.objects.filter(cycle_id=OuterRef("pk"), status=ReviewStatus.CORRECTIONS_REQUIRED)
    return (
        ReviewCycle.objects.filter(decided_at__isnull=False, application__permit__isnull=False)
        .filter(Exists(asked))
        .exclude(Exists(later))
        .values("application__permit_id")
    )


def open_conditions_permit_ids() -> QuerySet:
    """The permits with a condition of approval neither met nor answered: their contractor's
    to answer (an answered one waits for the permit office)."""
    return ReviewCondition.objects.filter(
        met_at__isnull=True,
        answered_at__isnull=True,
        review__cycle__application__permit__isnull=False,
    ).values("review__cycle__application__permit_id")
