"""Plan review in admin: the disciplines staff keep, every review (reassign, decide), and each
reviewer's own queue, "My reviews", soonest due first. (Conditions of approval and the queue
of answered ones: admin_conditions.)"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import DurationField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce, Now
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from applications.exceptions import ApplicationError
from applications.models import ApplicationDocument
from core.admin import TabularInline
from core.calendar import business_days_between
from permits.document_views import document_file_response
from policy.reviews import can_decide_review, can_reassign_review

from . import admin_conditions  # noqa: F401 (registers the conditions' admin)
from .models import (
    OPEN_REVIEW_STATUSES,
    MyReview,
    Review,
    ReviewComment,
    ReviewCondition,
    ReviewDiscipline,
    ReviewReason,
    ReviewStatus,
)
from .selectors import days_in_review
from .services import (
    review_decide,
    review_reassign,
    review_start,
    reviewers_of,
)


@admin.register(ReviewDiscipline)
class ReviewDisciplineAdmin(admin.ModelAdmin):
    list_display = ("name", "group", "target_days", "types", "active")
    list_filter = ("active",)
    fields = ("name", "group", "permit_types", "target_days", "position", "active")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permit_types":  # a city has a handful: boxes to tick
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("group").prefetch_related("permit_types")
        )

    @admin.display(description=gettext_lazy("permit types"))
    def types(self, discipline):
        return ", ".join(t.code for t in discipline.permit_types.all()) or "-"


@admin.register(ReviewReason)
class ReviewReasonAdmin(admin.ModelAdmin):
    list_display = ("name", "active")
    list_filter = ("active",)


class WhileOpenInline(TabularInline):
    """Written by the review's reviewer while the review is open; read only once decided."""

    extra = 0

    def _writable(self, request, obj) -> bool:
        return obj is not None and obj.is_open and can_decide_review(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return self._writable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._writable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._writable(request, obj)

    def has_view_permission(self, request, obj=None):
        return True


class ReviewCommentInline(WhileOpenInline):
    model = ReviewComment
    # An empty row to type the first comment in, without "Add another" first.
    extra = 1
    fields = ("kind", "reference", "reason", "text", "response", "responded_at")
    readonly_fields = ("response", "responded_at")
    verbose_name_plural = gettext_lazy(
        "comments (the applicant answers those that need a response)"
    )
    # Six columns on a 1366 px laptop: Django's default boxes (40 columns, a 320 px reference)
    # made the table 1,869 px wide, the response off the screen.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 32})},
        models.CharField: {"widget": forms.TextInput(attrs={"size": 14})},
    }

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reason":
            kwargs["queryset"] = ReviewReason.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReviewConditionInline(WhileOpenInline):
    model = ReviewCondition
    fields = ("text", "stage", "met_at", "met_by")
    readonly_fields = ("met_at", "met_by")
    verbose_name_plural = gettext_lazy("conditions of approval")


@admin.display(description=gettext_lazy("days left"), ordering="due_on")
def days_left(review: Review) -> str:
    if not review.is_open:
        return "-"
    today = timezone.localdate()
    if review.due_on >= today:
        left = business_days_between(today, review.due_on)
        return ngettext("%(days)s business day", "%(days)s business days", left) % {"days": left}
    late = business_days_between(review.due_on, today)
    return ngettext("%(days)s business day late", "%(days)s business days late", late) % {
        "days": late
    }


class ReviewForm(forms.ModelForm):
    """Only the reviewer is changed here (reassigning, by a supervisor), to one of the
    discipline's reviewers."""

    class Meta:
        model = Review
        fields = ("reviewer",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "reviewer" in self.fields:
            self.fields["reviewer"].required = True
            self.fields["reviewer"].queryset = reviewers_of(self.instance.discipline)
            self.fields["reviewer"].label_from_instance = lambda user: (
                user.get_full_name() or user.username
            )
            self.fields["reviewer"].help_text = _(
                "Staff of %(group)s; an open review can be reassigned."
            ) % {"group": self.instance.discipline.group}


DECISIONS = {
    "approve": ReviewStatus.APPROVED,
    "conditions": ReviewStatus.APPROVED_WITH_CONDITIONS,
    "corrections": ReviewStatus.CORRECTIONS_REQUIRED,
}


class ReviewAdminBase(admin.ModelAdmin):
    form = ReviewForm
    inlines = [ReviewCommentInline, ReviewConditionInline]
    change_form_template = "admin/reviews/review/change_form.html"
    list_display = (
        "application",
        "permit",
        "discipline",
        "cycle_number",
        "reviewer",
        "status",
        "due_on",
        days_left,
        "days_in_review",
    )
    list_filter = ("status", "discipline")
    list_select_related = ("cycle__application__permit", "discipline", "reviewer")
    search_fields = ("cycle__application__reference", "cycle__application__permit__number")
    readonly_fields = ("application", "permit", "discipline", "cycle_number", "status", "due_on")
    ordering = ("due_on", "id")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The application's clock: the time the city held the file, each cycle from its start to
        # its decision (or now). Sorted on this; shown in business days, as the applicant sees.
        held = ExpressionWrapper(
            Coalesce("cycle__application__review_cycles__decided_at", Now())
            - F("cycle__application__review_cycles__opened_at"),
            output_field=DurationField(),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(held=Sum(held))
            .prefetch_related("cycle__application__review_cycles")
        )

    @admin.display(description=gettext_lazy("days in review"), ordering="held")
    def days_in_review(self, review):
        return days_in_review(review.cycle.application.review_cycles.all())

    def get_readonly_fields(self, request, obj=None):
        fields = [*self.readonly_fields, "decided_at", "decided_by"]
        if obj is not None and not (obj.is_open and can_reassign_review(request.user, obj)):
            fields.append("reviewer")
        return fields

    def get_fields(self, request, obj=None):
        return [*self.readonly_fields, "reviewer", "decided_at", "decided_by"]

    @admin.display(
        description=gettext_lazy("application"), ordering="cycle__application__reference"
    )
    def application(self, review):
        return review.cycle.application.reference

    @admin.display(
        description=gettext_lazy("permit"), ordering="cycle__application__permit__number"
    )
    def permit(self, review):
        permit = review.cycle.application.permit
        return permit.number if permit else "-"

    @admin.display(description=gettext_lazy("cycle"), ordering="cycle__number")
    def cycle_number(self, review):
        return review.cycle.number

    def save_model(self, request, obj, form, change):
        if change and "reviewer" in form.changed_data and obj.reviewer is not None:
            try:
                review_reassign(review=obj, reviewer=obj.reviewer, by=request.user)
            except ApplicationError as error:
                self.message_user(request, str(error), messages.ERROR)
            return
        if not change:
            super().save_model(request, obj, form, change)

    def url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}"

    def get_urls(self):
        view = self.admin_site.admin_view
        prefix = self.url_name()
        return [
            path(
                "<int:review_id>/decide/",
                view(require_POST(self.decide_view)),
                name=f"{prefix}_decide",
            ),
            path(
                "<int:review_id>/documents/<int:document_id>/",
                view(self.document_view),
                name=f"{prefix}_document",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if review is not None:
            application = review.cycle.application
            submissions = list(application.submissions.all())
            documents = list(
                application.documents.select_related("requirement", "replaces").order_by("id")
            )
            replaced = {document.replaces_id for document in documents}
            for document in documents:
                document.superseded = document.pk in replaced
            earlier = []
            for cycle in application.review_cycles.filter(number__lt=review.cycle.number):
                cycle.comments = list(
                    ReviewComment.objects.filter(review__cycle=cycle).select_related(
                        "review__discipline"
                    )
                )
                earlier.append(cycle)
            extra.update(
                {
                    "review": review,
                    "application": application,
                    "latest": submissions[-1] if submissions else None,
                    "earlier": earlier,
                    "documents": documents,
                    "may_decide": review.is_open and can_decide_review(request.user, review),
                    "url_prefix": f"admin:{self.url_name()}",
                    "show_save_and_add_another": False,
                    "show_delete": False,
                }
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _decide(self, request: HttpRequest, review: Review, action: str) -> bool:
        """Start or decide the review; the message says what happened. Whether it did."""
        try:
            if action == "start":
                review_start(review=review, by=request.user)
                done = _("The %(discipline)s review is In Progress.") % {
                    "discipline": review.discipline
                }
            elif action in DECISIONS:
                review = review_decide(
                    review=review,
                    decision=DECISIONS[action],
                    by=request.user,
                    note=request.POST.get("decision_note", request.POST.get("note", "")),
                )
                values = {
                    "discipline": review.discipline,
                    "status": review.get_status_display(),
                }
                review.cycle.refresh_from_db()
                if review.cycle.decided_at is not None:
                    done = (
                        _(
                            "The %(discipline)s review is %(status)s. That was the cycle's last "
                            "review: the applicant is emailed."
                        )
                        % values
                    )
                else:
                    done = _("The %(discipline)s review is %(status)s.") % values
            else:
                raise ApplicationError(_("Choose a decision."))
        except ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, done, messages.SUCCESS)
        return True

    def _after_decision(self, review_id: int, action: str, done: bool) -> HttpResponseRedirect:
        # Decided: back to the queue (a decided review leaves "My reviews"); otherwise the page.
        if done and action in DECISIONS:
            return HttpResponseRedirect(reverse(f"admin:{self.url_name()}_changelist"))
        return HttpResponseRedirect(reverse(f"admin:{self.url_name()}_change", args=[review_id]))

    def decide_view(self, request: HttpRequest, review_id: int):
        review = get_object_or_404(Review, pk=review_id)
        if not self.has_view_permission(request, review):
            raise PermissionDenied
        action = request.POST.get("decision", "")
        return self._after_decision(review_id, action, self._decide(request, review, action))

    def response_change(self, request, obj):
        """The decision buttons are in the review's form: the comments and conditions typed on
        the page are saved first, then the review is started or decided."""
        action = request.POST.get("_decision", "")
        if not action:
            return super().response_change(request, obj)
        return self._after_decision(obj.pk, action, self._decide(request, obj, action))

    def document_view(self, request: HttpRequest, review_id: int, document_id: int):
        review = get_object_or_404(Review.objects.select_related("cycle"), pk=review_id)
        if not self.has_view_permission(request, review):
            raise PermissionDenied
        document = get_object_or_404(
            ApplicationDocument, pk=document_id, application_id=review.cycle.application_id
        )
        return document_file_response(document)


@admin.register(Review)
class ReviewAdmin(ReviewAdminBase):
    """Every review: supervisors reassign and follow them."""


@admin.register(MyReview)
class MyReviewAdmin(ReviewAdminBase):
    """The signed-in reviewer's open reviews, soonest due first (the reviewer is them: no
    column for it)."""

    list_filter = ("discipline",)
    list_display = tuple(name for name in ReviewAdminBase.list_display if name != "reviewer")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(reviewer=request.user, status__in=OPEN_REVIEW_STATUSES)
            .order_by("due_on", "id")
        )
