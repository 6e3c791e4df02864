"""Plan review's reads for the applicant's pages: a permit's cycles with their reviews and (once
decided) comments, and the clock that counts the days the city holds the file."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from applications.models import Application
from core.calendar import business_days_between
from permits.models import Permit

from .models import Review, ReviewComment, ReviewCycle


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
    return [("Reviews", reverse("reviews:permit_reviews", args=[permit.number]))]


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
        title="Conditions of approval",
        columns=["Condition", "To meet", "Met"],
        rows=[
            [
                condition.text,
                "before issuance" if condition.stage == "issuance" else "before the final",
                f"{condition.met_at:%m/%d/%Y}" if condition.met_at else "not yet",
            ]
            for condition in conditions
        ],
    )
