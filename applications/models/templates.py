"""An application form (a template), staff's per permit type: versioned, frozen once published;
its questions and required documents (its fee schedule: fee_rules)."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.status import StatusMachine
from permits.models import PermitType

from ..exceptions import InvalidApplicationStatusMove, TemplateFrozen

# Template versions ----------------------------------------------------------------------------


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("application form status", "Draft")
    PUBLISHED = "published", pgettext_lazy("application form status", "Published")
    RETIRED = "retired", pgettext_lazy("application form status", "Retired")


class ApplicationTemplate(StatusMachine):
    """One version of a permit type's online application. Staff edit a Draft; publishing it
    freezes it (its questions, documents and fees never change again) and retires the version
    it replaces. A type is open for online application while it has a published version."""

    Status = TemplateStatus
    EVENT_SUBJECT = "application_form"
    ALLOWED_MOVES: dict[str, set[str]] = {
        TemplateStatus.DRAFT: {TemplateStatus.PUBLISHED},
        TemplateStatus.PUBLISHED: {TemplateStatus.RETIRED},
        TemplateStatus.RETIRED: set(),
    }

    permit_type = models.ForeignKey(
        PermitType,
        on_delete=models.PROTECT,
        related_name="application_templates",
        verbose_name=gettext_lazy("permit type"),
    )
    version = models.PositiveIntegerField(gettext_lazy("version"), editable=False)
    status = models.CharField(
        gettext_lazy("status"), max_length=10, choices=TemplateStatus, default=TemplateStatus.DRAFT
    )
    category = models.CharField(
        gettext_lazy("category"),
        max_length=60,
        help_text=gettext_lazy("How the public guide groups types, e.g. Building or Trades."),
    )
    summary = models.TextField(
        gettext_lazy("summary"),
        help_text=gettext_lazy(
            "What the permit is for and when it is needed, shown in the public guide."
        ),
    )
    published_at = models.DateTimeField(
        gettext_lazy("published at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("application form")
        verbose_name_plural = gettext_lazy("application forms")
        ordering = ["permit_type__name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["permit_type", "version"],
                name="application_template_version_unique",
                violation_error_message=gettext_lazy(
                    "This permit type already has a form with this version."
                ),
            ),
            models.UniqueConstraint(
                fields=["permit_type"],
                condition=Q(status=TemplateStatus.PUBLISHED),
                name="application_template_one_published",
                violation_error_message=gettext_lazy(
                    "A permit type has one published application form."
                ),
            ),
        ]

    def __str__(self) -> str:
        return _("%(permit_type)s, version %(version)s") % {
            "permit_type": self.permit_type.name,
            "version": self.version,
        }

    def describe(self) -> str:
        return _("The application form “%(form)s”") % {"form": self}

    def save(self, *args, **kwargs):
        if self.version is None:
            latest = (
                ApplicationTemplate.objects.filter(permit_type_id=self.permit_type_id)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
            )
            self.version = (latest or 0) + 1
        super().save(*args, **kwargs)

    @property
    def is_editable(self) -> bool:
        return self.status == TemplateStatus.DRAFT

    def check_move(self, previous: str, status: str, context: dict) -> None:
        if status == TemplateStatus.PUBLISHED:
            if not self.questions.exists():
                raise InvalidApplicationStatusMove(
                    _("%(form)s has no questions: add them before publishing.")
                    % {"form": self.describe()}
                )
            problems = [
                _("%(question)s: %(problem)s") % {"question": question.label, "problem": error}
                for question in self.questions.all()
                for error in question.problems(self)
            ]
            if problems:
                raise InvalidApplicationStatusMove(
                    _("%(form)s cannot be published: %(problems)s")
                    % {"form": self.describe(), "problems": "; ".join(problems)}
                )

    def apply_move(self, previous: str, status: str, context: dict) -> list[str]:
        if status == TemplateStatus.PUBLISHED:
            self.published_at = timezone.now()
            return ["published_at"]
        return []


class FrozenWithTemplate(models.Model):
    """A part of a template version: changed only while the version is a Draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def refuse_if_frozen(self) -> None:
        template_id = self.template_id
        if template_id is None:
            return
        status = (
            ApplicationTemplate.objects.filter(pk=template_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is not None and status != TemplateStatus.DRAFT:
            raise TemplateFrozen(
                _(
                    "A published or retired application form never changes: make a new draft "
                    "version from it."
                )
            )


class QuestionKind(models.TextChoices):
    TEXT = "text", gettext_lazy("Text")
    LONG_TEXT = "long_text", gettext_lazy("Long text")
    NUMBER = "number", gettext_lazy("Number (with a unit)")
    MONEY = "money", gettext_lazy("Money")
    YES_NO = "yes_no", gettext_lazy("Yes or no")
    CHOICE = "choice", gettext_lazy("Choice (one)")
    MULTIPLE_CHOICE = "multiple_choice", gettext_lazy("Multiple choice")
    DATE = "date", gettext_lazy("Date")


class QuestionFills(models.TextChoices):
    NOTHING = "", gettext_lazy("Nothing (kept in the application)")
    VALUATION = "valuation", gettext_lazy("The permit's valuation")
    DESCRIPTION = "description", gettext_lazy("The permit's work description")


# A yes-or-no answer is kept as "Yes" or "No" whatever the language it was given in (a
# question's condition and a fee rule name it so); people read it in theirs.
YES, NO = "Yes", "No"
YES_NO_LABELS = {YES: gettext_lazy("Yes"), NO: gettext_lazy("No")}

KEY = RegexValidator(
    r"^[a-z][a-z0-9_]{0,49}$",
    gettext_lazy("Lower-case letters, digits and underscores, e.g. new_service."),
)


class Question(FrozenWithTemplate):
    """A question of a template version, in a section. Its `key` names its answer and stays
    the same from one version to the next (an answer carries over by key); it is shown only
    when the earlier question `show_if_key` has the answer `show_if_value`."""

    template = models.ForeignKey(
        ApplicationTemplate,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=gettext_lazy("template"),
    )
    section = models.CharField(
        gettext_lazy("section"),
        max_length=100,
        help_text=gettext_lazy("The heading it appears under."),
    )
    position = models.PositiveIntegerField(gettext_lazy("position"), default=0)
    key = models.CharField(gettext_lazy("key"), max_length=50, validators=[KEY])
    label = models.CharField(gettext_lazy("label"), max_length=200)
    kind = models.CharField(
        gettext_lazy("kind"), max_length=20, choices=QuestionKind, default=QuestionKind.TEXT
    )
    required = models.BooleanField(gettext_lazy("required"), default=True)
    help_text = models.CharField(gettext_lazy("help text"), max_length=300, blank=True)
    unit = models.CharField(
        gettext_lazy("unit"),
        max_length=20,
        blank=True,
        help_text=gettext_lazy("For a number, e.g. sq ft."),
    )
    whole_number = models.BooleanField(
        gettext_lazy("whole numbers only"),
        default=False,
        help_text=gettext_lazy("For a count: fixtures, stories, circuits."),
    )
    min_value = models.DecimalField(
        gettext_lazy("lowest"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=gettext_lazy("For a number."),
    )
    max_value = models.DecimalField(
        gettext_lazy("highest"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=gettext_lazy("e.g. 100 %."),
    )
    choices = models.TextField(
        gettext_lazy("choices"),
        blank=True,
        help_text=gettext_lazy("For a choice: one option per line."),
    )
    show_if_key = models.CharField(
        gettext_lazy("shown only if question"),
        max_length=50,
        blank=True,
        help_text=gettext_lazy("The key of an earlier question; empty: always shown."),
    )
    show_if_value = models.CharField(
        gettext_lazy("has the answer"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("e.g. Yes, or one of its options."),
    )
    fills = models.CharField(
        gettext_lazy("the answer fills"),
        max_length=20,
        choices=QuestionFills,
        blank=True,
        default=QuestionFills.NOTHING,
    )

    class Meta:
        verbose_name = gettext_lazy("question")
        verbose_name_plural = gettext_lazy("questions")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "key"],
                name="question_key_unique",
                violation_error_message=gettext_lazy("Another question of this form has this key."),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def options(self) -> list[str]:
        """The answers it takes, as they are kept (a yes or no: "Yes" and "No")."""
        if self.kind == QuestionKind.YES_NO:
            return [YES, NO]
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def option_label(self, option: str) -> str:
        """An answer as people read it: a yes or no in their language; staff's options as
        written."""
        if self.kind == QuestionKind.YES_NO and option in YES_NO_LABELS:
            return str(YES_NO_LABELS[option])
        return option

    def signature(self) -> tuple:
        """What an applicant was asked: a question whose signature changed between versions
        is asked again."""
        return (
            self.label,
            self.kind,
            self.required,
            self.unit,
            tuple(self.options),
            self.show_if_key,
            self.show_if_value,
            self.whole_number,
            self.min_value,
            self.max_value,
        )

    def problems(self, template: ApplicationTemplate) -> list[str]:
        """What is wrong with the question within its version (for publishing)."""
        problems = []
        if self.kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE_CHOICE) and not self.options:
            problems.append(_("a choice needs its options, one per line"))
        if self.fills == QuestionFills.VALUATION and self.kind not in (
            QuestionKind.MONEY,
            QuestionKind.NUMBER,
        ):
            problems.append(_("only a money or number answer can fill the valuation"))
        if self.show_if_key:
            earlier = {
                q.key: q
                for q in template.questions.all()
                if (q.position, q.pk) < (self.position, self.pk)
            }
            controlling = earlier.get(self.show_if_key)
            if controlling is None:
                problems.append(
                    _("“%(key)s” is not the key of an earlier question") % {"key": self.show_if_key}
                )
            elif controlling.options and self.show_if_value not in controlling.options:
                problems.append(
                    _("“%(answer)s” is not an answer to “%(question)s”")
                    % {"answer": self.show_if_value, "question": controlling.label}
                )
        return problems

    def clean(self):
        if self.kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE_CHOICE) and not self.options:
            raise ValidationError({"choices": _("Give the options, one per line.")})
        if bool(self.show_if_key) != bool(self.show_if_value):
            raise ValidationError(
                {"show_if_value": _("Give both the question and the answer that shows this one.")}
            )
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            raise ValidationError({"max_value": _("The highest is below the lowest.")})

    @property
    def limits_label(self) -> str:
        """The rules of a number answer in words: "A whole number from 0 to 100 %."."""

        def amount(value, *, unit: bool = True) -> str:
            # In the language's digits (1,250 or 1 250), the cents only when there are some.
            places = 0 if value == value.to_integral_value() else 2
            text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
            return f"{text} {self.unit}" if self.unit and unit else text

        low, high = self.min_value, self.max_value
        if low is not None and high is not None:
            values = {"low": amount(low, unit=False), "high": amount(high)}
            if self.whole_number:
                return _("A whole number from %(low)s to %(high)s.") % values
            return _("A number from %(low)s to %(high)s.") % values
        if low is not None:
            if self.whole_number:
                return _("A whole number of at least %(low)s.") % {"low": amount(low)}
            return _("A number of at least %(low)s.") % {"low": amount(low)}
        if high is not None:
            if self.whole_number:
                return _("A whole number of at most %(high)s.") % {"high": amount(high)}
            return _("A number of at most %(high)s.") % {"high": amount(high)}
        return _("A whole number.") if self.whole_number else ""


class DocumentStage(models.TextChoices):
    SUBMITTAL = "submittal", gettext_lazy("With the application")
    ISSUANCE = "issuance", gettext_lazy("Before the permit is issued")


# What the portal can tell a file is from its first bytes (core.uploads.sniff_content_type).
DOCUMENT_FORMATS = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}
FORMAT_LABELS = {"pdf": "PDF", "png": "PNG", "jpg": "JPEG"}
FORMATS = RegexValidator(
    r"^(pdf|png|jpg)(,(pdf|png|jpg))*$",
    gettext_lazy("A list of pdf, png and jpg, e.g. pdf or pdf,jpg."),
)


class DocumentRequirement(FrozenWithTemplate):
    template = models.ForeignKey(
        ApplicationTemplate,
        on_delete=models.CASCADE,
        related_name="document_requirements",
        verbose_name=gettext_lazy("template"),
    )
    position = models.PositiveIntegerField(gettext_lazy("position"), default=0)
    name = models.CharField(
        gettext_lazy("name"), max_length=100, help_text=gettext_lazy("e.g. Site Plan.")
    )
    help_text = models.CharField(gettext_lazy("help text"), max_length=300, blank=True)
    stage = models.CharField(
        gettext_lazy("needed"),
        max_length=10,
        choices=DocumentStage,
        default=DocumentStage.SUBMITTAL,
    )
    formats = models.CharField(
        gettext_lazy("accepted formats"), max_length=20, default="pdf", validators=[FORMATS]
    )

    class Meta:
        verbose_name = gettext_lazy("document requirement")
        verbose_name_plural = gettext_lazy("document requirements")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def format_list(self) -> list[str]:
        return [part for part in self.formats.split(",") if part in DOCUMENT_FORMATS]

    @property
    def formats_label(self) -> str:
        labels = [FORMAT_LABELS[part] for part in self.format_list]
        if len(labels) == 2:
            return _("%(first)s or %(second)s") % {"first": labels[0], "second": labels[1]}
        return ", ".join(labels)

    @property
    def content_types(self) -> set[str]:
        return {DOCUMENT_FORMATS[part] for part in self.format_list}

    @property
    def needed_to_submit(self) -> bool:
        return self.stage == DocumentStage.SUBMITTAL
