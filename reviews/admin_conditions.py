"""Conditions of approval in admin: every condition, and the queue of those contractors answered
online, the longest waiting first. Staff read the answer and mark each met. (Registered when
reviews.admin imports this module.)"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from applications.exceptions import ApplicationError
from permits.admin import document_download_link
from policy.reviews import can_mark_condition_met, can_read_condition

from .models import AnsweredCondition, ReviewCondition
from .services import condition_mark_met


@admin.register(ReviewCondition)
class ReviewConditionAdmin(admin.ModelAdmin):
    """Conditions of approval: staff mark each met (the permit is issued, or its final
    inspection can be requested, when that was all it waited for)."""

    list_display = ("text", "permit", "stage", "met_at", "met_by")
    list_filter = ("stage", ("met_at", admin.EmptyFieldListFilter))
    list_select_related = ("review__cycle__application__permit", "met_by")
    search_fields = ("text", "review__cycle__application__permit__number")
    readonly_fields = (
        "review",
        "text",
        "stage",
        "answer",
        "answered_at",
        "answered_by",
        "answer_download",
        "met_at",
        "met_by",
    )
    fields = readonly_fields
    actions = ["mark_met"]

    @admin.display(description=gettext_lazy("document"))
    def answer_download(self, condition):
        document = condition.answer_document
        return document_download_link(document) if document else "-"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # A condition's own page is also its reviewer's (told of each answer): the policy.
        if obj is not None and can_read_condition(request.user, obj):
            return True
        return super().has_view_permission(request, obj)

    @admin.display(
        description=gettext_lazy("permit"), ordering="review__cycle__application__permit__number"
    )
    def permit(self, condition):
        permit = condition.review.cycle.application.permit
        return permit.number if permit else "-"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        condition = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "may_mark_met": condition is not None
            and condition.met_at is None
            and can_mark_condition_met(request.user),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def response_change(self, request, obj):
        if "_mark_met" in request.POST:
            try:
                condition_mark_met(condition=obj, by=request.user)
            except ApplicationError as error:
                self.message_user(request, str(error), level=messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, _("Condition marked met: %(text)s") % {"text": obj.text})
            return HttpResponseRedirect(
                reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
            )
        return super().response_change(request, obj)

    @admin.action(
        description=gettext_lazy("Mark the selected conditions met"), permissions=["change"]
    )
    def mark_met(self, request, queryset):
        try:
            for condition in queryset:
                condition_mark_met(condition=condition, by=request.user)
        except ApplicationError as error:
            self.message_user(request, str(error), level=messages.ERROR)
            return
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "%(count)s condition(s) marked met.", "%(count)s condition(s) marked met.", count
            )
            % {"count": count},
        )


@admin.register(AnsweredCondition)
class AnsweredConditionAdmin(ReviewConditionAdmin):
    """The queue of conditions contractors answered online and nobody has marked met yet, the
    longest waiting first: staff read the answer (and its document) and mark each met."""

    list_display = ("permit", "text", "answer", "answered_at", "answered_by", "answer_download")
    list_filter = ("stage",)
    list_select_related = (
        "review__cycle__application__permit",
        "answered_by",
        "answer_document",
    )
    ordering = ("answered_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(answered_at__isnull=False, met_at__isnull=True)

    # The queue is for who may mark conditions met (the policy), whatever its proxy's own
    # permissions say.
    def has_view_permission(self, request, obj=None):
        return can_mark_condition_met(request.user)

    def has_change_permission(self, request, obj=None):
        return can_mark_condition_met(request.user)
