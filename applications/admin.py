"""Staff's side of online applications: the application forms (versions: edit a draft,
publish it, make a new draft from a published one) and intake (the queue of submitted
applications, oldest first; an application's page is its intake review, with Accept for review
and Return as incomplete)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.humanize.templatetags.humanize import ordinal
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views.decorators.http import require_POST

from core.admin import StatusMoveAdmin, TabularInline, money
from permits.document_views import document_file_response

from .exceptions import ApplicationError
from .forms import ReturnForm
from .models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    ApplicationTemplate,
    DocumentRequirement,
    FeeRule,
    IntakeQueue,
    Question,
    Submission,
    TemplateStatus,
)
from .services import (
    application_accept,
    application_return,
    template_new_version,
    template_publish,
)


class FrozenInline:
    """The parts of a published or retired form are read only."""

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == TemplateStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class QuestionInline(FrozenInline, admin.StackedInline):
    model = Question
    extra = 0
    fields = (
        ("section", "position"),
        ("key", "label"),
        ("kind", "required", "unit"),
        ("whole_number", "min_value", "max_value"),
        "help_text",
        "choices",
        ("show_if_key", "show_if_value"),
        "fills",
    )


class DocumentRequirementInline(FrozenInline, TabularInline):
    model = DocumentRequirement
    extra = 0
    fields = ("position", "name", "stage", "formats", "help_text")


class FeeRuleInline(FrozenInline, admin.StackedInline):
    model = FeeRule
    extra = 0
    fields = (
        ("position", "description", "kind"),
        ("amount", "rate", "minimum"),
        "basis_key",
        "brackets",
        ("only_if_key", "only_if_value"),
    )


@admin.register(ApplicationTemplate)
class ApplicationTemplateAdmin(admin.ModelAdmin):
    """A permit type's online application form, version by version. A Draft is edited here
    (questions, documents, fees); "Publish" freezes it and opens the type online (retiring
    the version it replaces); "New draft version" copies a version to change."""

    list_display = ("permit_type", "version", "status", "category", "published_at")
    list_filter = ("status", "category")
    list_select_related = ("permit_type",)
    inlines = [QuestionInline, DocumentRequirementInline, FeeRuleInline]
    change_form_template = "admin/applications/applicationtemplate/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fields = ["status", "version", "published_at"]
        if obj is not None:
            fields.append("permit_type")
            if obj.status != TemplateStatus.DRAFT:
                fields += ["category", "summary"]
        return fields

    def has_delete_permission(self, request, obj=None):
        # A draft nobody applied on may go; a version applications were made on stays.
        return bool(
            obj is not None
            and obj.status == TemplateStatus.DRAFT
            and not obj.applications.exists()
            and super().has_delete_permission(request, obj)
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:template_id>/publish/",
                view(require_POST(self.publish_view)),
                name="applications_applicationtemplate_publish",
            ),
            path(
                "<int:template_id>/new-version/",
                view(require_POST(self.new_version_view)),
                name="applications_applicationtemplate_new_version",
            ),
            *super().get_urls(),
        ]

    def _template(self, request, template_id: int) -> ApplicationTemplate:
        template = get_object_or_404(ApplicationTemplate, pk=template_id)
        if not self.has_change_permission(request, template):
            raise PermissionDenied
        return template

    def publish_view(self, request: HttpRequest, template_id: int):
        template = self._template(request, template_id)
        try:
            template_publish(template=template, by=request.user)
        except ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                _(
                    "Published: %(form)s. %(permit_type)s permits are open for online "
                    "application with this form."
                )
                % {"form": template, "permit_type": template.permit_type.name},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:applications_applicationtemplate_change", args=[template.pk])
        )

    def new_version_view(self, request: HttpRequest, template_id: int):
        template = self._template(request, template_id)
        copy = template_new_version(template=template, by=request.user)
        self.message_user(
            request,
            _("Made %(form)s as a draft from version %(version)s: change it, then publish.")
            % {"form": copy, "version": template.version},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:applications_applicationtemplate_change", args=[copy.pk])
        )


class SubmissionInline(TabularInline):
    model = Submission
    extra = 0
    fields = ("number", "submitted_at", "submitted_by", "outcome", "decided_by", "reasons")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.display(description=gettext_lazy("days waiting"))
def days_waiting(application: Application) -> str:
    if application.status != ApplicationStatus.SUBMITTED or application.submitted_at is None:
        return "-"
    days = (timezone.now() - application.submitted_at).days
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


def _as_id(object_id: str) -> int | None:
    """An admin URL's object id as a primary key, or None (a typed-in URL)."""
    try:
        return int(unquote(object_id))
    except (TypeError, ValueError):
        return None


ESTIMATED = money("estimated_fees", gettext_lazy("estimated fees"), ordering=False)


class ApplicationAdminBase(StatusMoveAdmin):
    """An application's page is its intake review: the submission as it was submitted, its
    documents, and Accept for review or Return as incomplete (reasons sent to the applicant)."""

    change_form_template = "admin/applications/application/change_form.html"
    list_select_related = ("template__permit_type", "applicant", "permit", "license__holder")
    search_fields = ("reference", "permit__number", "street_name", "applicant__email")
    readonly_fields = (
        "reference",
        "template",
        "applicant",
        "permit",
        "business",
        "license",
        "owner_name",
        "owner_email",
        ESTIMATED,
        "submitted_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = [SubmissionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "status", "status_history"]

    def get_fields(self, request, obj=None):
        return [*self.fields, "status", "status_history"]

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.get_fields(request, obj)})]

    def url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}"

    def get_urls(self):
        view = self.admin_site.admin_view
        prefix = self.url_name()
        return [
            path(
                "<int:application_id>/accept/",
                view(require_POST(self.accept_view)),
                name=f"{prefix}_accept",
            ),
            path(
                "<int:application_id>/return/",
                view(require_POST(self.return_view)),
                name=f"{prefix}_return",
            ),
            path(
                "<int:application_id>/documents/<int:document_id>/",
                view(self.document_view),
                name=f"{prefix}_document",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        application = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if application is not None:
            submissions = list(application.submissions.all())
            extra.update(
                {
                    "application": application,
                    "latest": submissions[-1] if submissions else None,
                    "documents": list(application.documents.select_related("requirement")),
                    "may_decide": application.status == ApplicationStatus.SUBMITTED
                    and self.has_change_permission(request, application),
                    "return_form": ReturnForm(),
                    "url_prefix": f"admin:{self.url_name()}",
                    "show_save": False,
                    "show_save_and_continue": False,
                    "show_save_and_add_another": False,
                    "show_delete": False,
                }
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _decidable(self, request: HttpRequest, application_id: int) -> Application:
        application = get_object_or_404(Application, pk=application_id)
        if not self.has_change_permission(request, application):
            raise PermissionDenied
        return application

    def _back(self, application: Application) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse(f"admin:{self.url_name()}_change", args=[application.pk])
        )

    def _queue(self) -> HttpResponseRedirect:
        """Decided: back to the list (an application decided at intake leaves the queue)."""
        return HttpResponseRedirect(reverse(f"admin:{self.url_name()}_changelist"))

    def accept_view(self, request: HttpRequest, application_id: int):
        application = self._decidable(request, application_id)
        try:
            application_accept(application=application, by=request.user)
        except ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Accepted for review: permit %(number)s is In Review; the applicant is emailed.")
                % {"number": application.permit.number},
                messages.SUCCESS,
            )
            return self._queue()
        return self._back(application)

    def return_view(self, request: HttpRequest, application_id: int):
        application = self._decidable(request, application_id)
        form = ReturnForm(request.POST)
        if not form.is_valid():
            self.message_user(
                request, _("Give the reasons: the applicant is told them."), messages.ERROR
            )
            return self._back(application)
        try:
            application_return(
                application=application, by=request.user, reasons=form.cleaned_data["reasons"]
            )
        except ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                _("Returned as incomplete: the applicant is emailed the reasons."),
                messages.SUCCESS,
            )
            return self._queue()
        return self._back(application)

    def document_view(self, request: HttpRequest, application_id: int, document_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(
            ApplicationDocument, pk=document_id, application_id=application_id
        )
        return document_file_response(document)


@admin.register(Application)
class ApplicationAdmin(ApplicationAdminBase):
    list_display = (
        "reference",
        "permit_link",
        "permit_type",
        "status",
        "applicant",
        "submitted_at",
        days_waiting,
    )
    list_filter = ("status", "template__permit_type")

    @admin.display(description=gettext_lazy("permit"), ordering="permit__number")
    def permit_link(self, application):
        return application.permit.number if application.permit_id else "-"

    @admin.display(description=gettext_lazy("permit type"), ordering="template__permit_type__name")
    def permit_type(self, application):
        return application.template.permit_type.name


@admin.register(IntakeQueue)
class IntakeQueueAdmin(ApplicationAdminBase):
    """Submitted applications waiting for a clerk, oldest first."""

    list_display = (
        "reference",
        "permit_number",
        "permit_type",
        "site",
        "applicant",
        "submitted_at",
        "submission",
        days_waiting,
    )
    list_filter = ("template__permit_type",)
    ordering = ("submitted_at", "id")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A clerk's notice of a submission links here; a colleague may have decided it since.
        # Its page outside the queue (the application's own, which outlives intake), not
        # admin's "doesn't exist. Perhaps it was deleted?".
        if self.get_object(request, unquote(object_id)) is None:
            decided = Application.objects.filter(pk=_as_id(object_id)).first()
            if decided is not None:
                return self._decided(request, decided)
        return super().change_view(request, object_id, form_url, extra_context)

    def _decided(self, request: HttpRequest, application: Application) -> HttpResponseRedirect:
        self.message_user(
            request,
            _("Application %(reference)s is no longer waiting at intake: it is %(status)s.")
            % {"reference": application.reference, "status": application.get_status_display()},
            messages.INFO,
        )
        if self.admin_site.get_model_admin(Application).has_view_permission(request, application):
            return HttpResponseRedirect(
                reverse("admin:applications_application_change", args=[application.pk])
            )
        return self._queue()

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=ApplicationStatus.SUBMITTED)
            .annotate(submission_count=Count("submissions"))
            .order_by("submitted_at", "id")
        )

    @admin.display(description=gettext_lazy("submission"), ordering="submission_count")
    def submission(self, application) -> str:
        # A resubmission after a return as incomplete: the clerk checks the reasons were met.
        count = application.submission_count
        if count <= 1:
            return pgettext("submission", "First")
        return _("Resubmitted (%(ordinal)s)") % {"ordinal": ordinal(count)}

    @admin.display(description=gettext_lazy("permit"), ordering="permit__number")
    def permit_number(self, application):
        return application.permit.number if application.permit_id else "-"

    @admin.display(description=gettext_lazy("permit type"), ordering="template__permit_type__name")
    def permit_type(self, application):
        return application.template.permit_type.name

    @admin.display(description=gettext_lazy("site"))
    def site(self, application):
        return format_html("{}", application.address)
