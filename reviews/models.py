"""Plan review: the disciplines that review each permit type, review cycles, each discipline's
review with its comments and conditions of approval. Moved from the applications app with its
tables (each keeps its name: `db_table`)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from applications.exceptions import InvalidApplicationStatusMove
from applications.models import Application
from core.status import StatusMachine
from permits.models import Permit, PermitDocument, PermitType


class ReviewDiscipline(models.Model):
    """A part of plan review (Building, Zoning, Fire, Electrical): the staff group whose members
    review it, the permit types that need it, and its target in business days."""

    name = models.CharField(max_length=100, unique=True)
    group = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        related_name="review_disciplines",
        help_text="Its reviewers: staff members of this group.",
    )
    permit_types = models.ManyToManyField(
        PermitType,
        related_name="review_disciplines",
        blank=True,
        help_text="The permit types whose applications this discipline reviews.",
    )
    target_days = models.PositiveSmallIntegerField(
        "target (business days)", default=10, help_text="From the cycle's start to a decision."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "applications_reviewdiscipline"  # the table it had in the applications app
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ReviewCycle(models.Model):
    """One round of plan review of an application: a review per discipline, opened when the
    application is accepted (cycle 1) or resubmitted with corrections; closed when its last
    review is decided. Earlier cycles never change."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="review_cycles"
    )
    number = models.PositiveSmallIntegerField()
    opened_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(
        null=True, blank=True, help_text="When its last review was decided."
    )

    class Meta:
        db_table = "applications_reviewcycle"  # the table it had in the applications app
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"],
                name="review_cycle_number_unique",
                violation_error_message="This application already has a cycle numbered so.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} cycle {self.number}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In Progress"
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_conditions", "Approved with Conditions"
    CORRECTIONS_REQUIRED = "corrections_required", "Corrections Required"


REVIEW_DECISIONS = (
    ReviewStatus.APPROVED,
    ReviewStatus.APPROVED_WITH_CONDITIONS,
    ReviewStatus.CORRECTIONS_REQUIRED,
)
OPEN_REVIEW_STATUSES = (ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS)


class Review(StatusMachine):
    """A discipline's review of an application in one cycle, assigned to one reviewer."""

    Status = ReviewStatus
    move_error = InvalidApplicationStatusMove
    EVENT_SUBJECT = "review"
    STATUS_EVENTS = dict.fromkeys(REVIEW_DECISIONS, "review.decided")
    ALLOWED_MOVES: dict[str, set[str]] = {
        ReviewStatus.PENDING: {ReviewStatus.IN_PROGRESS, *REVIEW_DECISIONS},
        ReviewStatus.IN_PROGRESS: set(REVIEW_DECISIONS),
        ReviewStatus.APPROVED: set(),
        ReviewStatus.APPROVED_WITH_CONDITIONS: set(),
        ReviewStatus.CORRECTIONS_REQUIRED: set(),
    }

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.PROTECT, related_name="reviews")
    discipline = models.ForeignKey(
        ReviewDiscipline, on_delete=models.PROTECT, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    status = models.CharField(max_length=30, choices=ReviewStatus, default=ReviewStatus.PENDING)
    due_on = models.DateField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        db_table = "applications_review"  # the table it had in the applications app
        ordering = ["cycle", "discipline__position", "discipline__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "discipline"],
                name="review_discipline_once_per_cycle",
                violation_error_message="This cycle already has a review for this discipline.",
            ),
        ]
        indexes = [models.Index(fields=["reviewer", "status"], name="review_reviewer_status")]
        permissions = [("decide_any_review", "Can start and decide any plan review")]

    def event_about(self):
        application = self.cycle.application
        return [application, application.permit] if application.permit_id else [application]

    def __str__(self) -> str:
        return f"{self.discipline} review of {self.cycle}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVIEW_STATUSES

    def check_move(self, previous: str, status: str, context) -> None:
        if status == ReviewStatus.APPROVED_WITH_CONDITIONS and not self.conditions.exists():
            raise self.move_error("Add the conditions of approval first (Conditions, below).")
        if (
            status == ReviewStatus.CORRECTIONS_REQUIRED
            and not self.comments.filter(kind=CommentKind.RESPONSE_REQUIRED).exists()
        ):
            raise self.move_error(
                "Add the corrections needed first: a comment that needs a response (Comments, "
                "below)."
            )

    def apply_move(self, previous: str, status: str, context) -> list[str]:
        if status in REVIEW_DECISIONS:  # who decided: the service's `changes`
            self.decided_at = timezone.now()
            return ["decided_at"]
        return []


class MyReview(Review):
    """A reviewer's own open reviews (admin's "My reviews" queue)."""

    class Meta:
        proxy = True
        verbose_name = "review"
        verbose_name_plural = "my reviews"


class ReviewReason(models.Model):
    """The reasons reviewers give a comment (staff keep the list): "Setback", "Missing
    dimension", "Code section"..."""

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "applications_reviewreason"  # the table it had in the applications app
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CommentKind(models.TextChoices):
    RESPONSE_REQUIRED = "response", "Response required"
    INFO = "info", "For information"


class ReviewComment(models.Model):
    """A reviewer's comment on a cycle: what and where (a sheet or page of a document, or a
    question), why (a reason from the list), and whether the applicant must answer it."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="comments")
    kind = models.CharField(
        max_length=10, choices=CommentKind, default=CommentKind.RESPONSE_REQUIRED
    )
    reference = models.CharField(
        "where",
        max_length=100,
        blank=True,
        help_text="A sheet or page (A-201, page 3), or a question.",
    )
    reason = models.ForeignKey(
        ReviewReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    response = models.TextField(max_length=4000, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "applications_reviewcomment"  # the table it had in the applications app
        ordering = ["review", "id"]

    def __str__(self) -> str:
        return f"{self.review.discipline}: {self.text[:60]}"

    @property
    def needs_response(self) -> bool:
        return self.kind == CommentKind.RESPONSE_REQUIRED


class ConditionStage(models.TextChoices):
    BEFORE_ISSUANCE = "issuance", "Before the permit is issued"
    BEFORE_FINAL = "final", "Before the final inspection"


class ReviewCondition(models.Model):
    """A condition of approval: met before issuance, or before the final inspection (which
    cannot be requested until staff mark it met)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="conditions")
    text = models.TextField(max_length=2000)
    stage = models.CharField(
        max_length=10, choices=ConditionStage, default=ConditionStage.BEFORE_FINAL
    )
    met_at = models.DateTimeField(null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The contractor's answer online (how it is met, and a document): staff then mark it met.
    answer = models.TextField(max_length=2000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer_document = models.ForeignKey(
        PermitDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "applications_reviewcondition"  # the table it had in the applications app
        ordering = ["review", "id"]
        indexes = [
            # The staff's queue of answered conditions not met yet.
            models.Index(
                fields=["answered_at"],
                name="condition_answered_unmet",
                condition=models.Q(answered_at__isnull=False, met_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_met(self) -> bool:
        return self.met_at is not None


class AnsweredCondition(ReviewCondition):
    """Conditions the contractor answered online, not met yet (admin's queue: staff read the
    answer and mark each met)."""

    class Meta:
        proxy = True
        verbose_name = "answered condition"
        verbose_name_plural = "answered conditions"


class AwaitingKind(models.TextChoices):
    CORRECTIONS = "corrections", "Corrections asked"
    CONDITIONS = "conditions", "A condition of approval to answer"


class AwaitingAnswer(models.Model):
    """A permit that waits for its contractor's answer to plan review, once for each of its
    license professionals: corrections asked and not resubmitted (the permit In Review), or a
    condition of approval neither met nor answered (Pending Approval or Issued). The dashboard's
    "Needs your action" reads a contractor's from this table's index, with the permit's applied
    date copied here, instead of looking for plan review's answers among every permit of theirs
    (50,000 for the largest: 340 ms; docs/performance.md).

    PostgreSQL only: database triggers (migration 0003) keep it, whatever writes cycles,
    reviews, conditions or the permit's licenses and status; nothing in the portal writes it.
    Elsewhere (SQLite, and a contact's dashboard) the same permits are read through the ORM
    (`awaiting_corrections_permit_ids`, `open_conditions_permit_ids`), and
    tests/portal/test_dashboard_paths.py holds the two to each other.
    """

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="+")
    license = models.ForeignKey("licenses.License", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=AwaitingKind)
    applied_on = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["permit", "license", "kind"],
                name="awaitinganswer_unique",
                violation_error_message="This permit already waits for this answer.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["license", "kind", "-applied_on", "-permit"],
                name="awaitinganswer_by_license",
            )
        ]

    def __str__(self) -> str:
        return f"{self.permit_id} waits for {self.get_kind_display().lower()}"
