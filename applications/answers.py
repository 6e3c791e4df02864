"""Answers to a form's questions: which questions are shown (a question may depend on an earlier
answer), what an answer as typed means, and what is wrong with it.

An answer is kept as the applicant typed it (a string; a list of options for multiple choice):
a draft never loses what was typed, even when it is not yet a valid answer. It is read as a
number, an amount or a date here, when the page checks it and when the fees are estimated.
"""

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import format_money

from .models import Question, QuestionKind

MAX_ANSWER_LENGTH = 5000
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


class AnswerError(ValueError):
    """An answer that does not say what its question asks. Its message is for the applicant."""


def as_decimal(raw: str, *, money: bool = False) -> Decimal:
    text = raw.strip().replace(",", "").replace(" ", "")
    if money:
        text = text.removeprefix("$")
    if not NUMBER_RE.match(text):
        raise AnswerError(_("Enter an amount, e.g. 12500.00.") if money else _("Enter a number."))
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover (the pattern admits only decimals)
        raise AnswerError(_("Enter a number.")) from None
    if value < 0:
        raise AnswerError(_("Enter a number that is not negative."))
    if value >= Decimal("1e10"):
        raise AnswerError(_("That number is larger than any permit's."))
    if money and value != value.quantize(Decimal("0.01")):
        raise AnswerError(_("Enter an amount in dollars and cents."))
    return value


def as_date(raw: str) -> datetime.date:
    text = raw.strip()
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise AnswerError(_("Enter a date, e.g. 2026-06-30."))


def is_blank(raw) -> bool:
    if isinstance(raw, list):
        return not any(str(item).strip() for item in raw)
    return raw is None or not str(raw).strip()


def check_answer(question: Question, raw) -> None:
    """Raise AnswerError when `raw` (not blank) is not an answer to `question`."""
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        items = raw if isinstance(raw, list) else [raw]
        unknown = [item for item in items if item not in question.options]
        if unknown:
            raise AnswerError(_("Choose from the options listed."))
        return
    if isinstance(raw, list):
        raise AnswerError(_("Give one answer."))
    if len(raw) > MAX_ANSWER_LENGTH:
        raise AnswerError(
            _("Keep the answer under %(count)s characters.")
            % {"count": number_format(MAX_ANSWER_LENGTH, use_l10n=True, force_grouping=True)}
        )
    if question.kind in (QuestionKind.CHOICE, QuestionKind.YES_NO):
        if raw not in question.options:
            raise AnswerError(_("Choose one of the options listed."))
    elif question.kind in (QuestionKind.NUMBER, QuestionKind.MONEY):
        check_limits(question, as_decimal(raw, money=question.kind == QuestionKind.MONEY))
    elif question.kind == QuestionKind.DATE:
        as_date(raw)


def check_limits(question: Question, value: Decimal) -> None:
    """The question's own rules for a number: a whole number, the lowest, the highest."""
    if question.whole_number and value != value.to_integral_value():
        raise AnswerError(_("Enter a whole number."))
    low, high = question.min_value, question.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        rule = question.limits_label
        # "A number from 1 to 10." said as what to do: "Enter a number from 1 to 10."
        raise AnswerError(_("Enter %(rule)s") % {"rule": rule[0].lower() + rule[1:]})


def matches(raw, value: str) -> bool:
    """Whether an answer is `value` (for a multiple choice: includes it)."""
    if isinstance(raw, list):
        return value in raw
    return raw is not None and str(raw).strip() == value


def visible_questions(questions: Iterable[Question], answers: Mapping) -> list[Question]:
    """The questions shown for these answers, in order: one whose condition names an earlier
    question is shown when that question is shown and has the answer."""
    shown: dict[str, Question] = {}
    for question in questions:
        if question.show_if_key:
            if question.show_if_key not in shown:
                continue
            if not matches(answers.get(question.show_if_key), question.show_if_value):
                continue
        shown[question.key] = question
    return list(shown.values())


# Beside the question, its label is right above: it needs no naming.
UNANSWERED = gettext_lazy("Answer this question.")


def problem_named(label: str, problem: str) -> str:
    """A field's problem said away from the field (the list atop a step, the review's list of
    what is missing), naming it whole: “Answer “Is there a new service?”.”, never
    “... service?: Answer this question.”"""
    if problem in (str(UNANSWERED), str(forms.Field.default_error_messages["required"])):
        return _("Answer “%(question)s”.") % {"question": label}
    if label.rstrip().endswith("?"):
        return _("“%(question)s”: %(problem)s") % {"question": label, "problem": problem}
    return _("%(field)s: %(problem)s") % {"field": label, "problem": problem}


def answer_errors(questions: Iterable[Question], answers: Mapping) -> dict[str, str]:
    """key -> what is wrong with the answer, for each shown question: missing where required,
    or not an answer to it."""
    errors = {}
    for question in visible_questions(questions, answers):
        raw = answers.get(question.key)
        if is_blank(raw):
            if question.required:
                errors[question.key] = str(UNANSWERED)
            continue
        try:
            check_answer(question, raw)
        except AnswerError as error:
            errors[question.key] = str(error)
    return errors


def number_answer(question: Question | None, answers: Mapping) -> Decimal | None:
    """The answer to a number or money question as a number, or None (unanswered, invalid)."""
    if question is None:
        return None
    raw = answers.get(question.key)
    if is_blank(raw) or isinstance(raw, list):
        return None
    try:
        value = as_decimal(raw, money=question.kind == QuestionKind.MONEY)
        check_limits(question, value)
    except AnswerError:
        return None
    return value


def display_answer(question: Question, raw) -> str:
    """An answer as the review page and the snapshot show it."""
    if is_blank(raw):
        return ""
    if isinstance(raw, list):
        return ", ".join(raw)
    text = str(raw).strip()
    if question.kind == QuestionKind.MONEY:
        try:
            return format_money(as_decimal(text, money=True))
        except AnswerError:
            return text
    if question.kind == QuestionKind.NUMBER and question.unit:
        return f"{text} {question.unit}"
    if question.kind == QuestionKind.DATE:
        try:
            # The language's short dates (01/15/2027 in English), as every other page shows one.
            return date_format(as_date(text), "SHORT_DATE_FORMAT")
        except AnswerError:
            return text
    if question.kind == QuestionKind.YES_NO:
        return question.option_label(text)
    return text


def signature_problem(name: str, full_name: str) -> str:
    """What is wrong with the attestation's signature, for the applicant; "" when it is their
    full name as their account has it (case and spacing aside). An account with no name to
    compare takes any name."""
    if not name.strip():
        return _("Type your full name to sign.")
    if full_name.strip() and _as_signed(name) != _as_signed(full_name):
        return _("Sign with your full name as it is on your account: %(name)s.") % {
            "name": full_name.strip()
        }
    return ""


def _as_signed(name: str) -> str:
    return " ".join(name.split()).casefold()
