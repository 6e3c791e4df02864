from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy, pgettext_lazy


class PreferredContact(models.TextChoices):
    EMAIL = "email", pgettext_lazy("contact method", "Email")
    PHONE = "phone", pgettext_lazy("contact method", "Phone")
    MAIL = "mail", pgettext_lazy("contact method", "Mail")


def normalize_answer(answer: str) -> str:
    """Security answers compare without regard to case or spacing: "New  york" is "new york"."""
    return " ".join((answer or "").split()).casefold()


class User(AbstractUser):
    """A person who signs in: a contractor's employee or a city staff member.

    Custom from the first migration so that later fields never need a user-model swap. What a user
    may do with permits is not stored here: it follows from their approved license links and
    business memberships (see the policy package, policy/).
    """

    phone = models.CharField(gettext_lazy("phone"), max_length=30, blank=True)
    preferred_contact = models.CharField(
        gettext_lazy("preferred method of contact"),
        max_length=10,
        choices=PreferredContact,
        default=PreferredContact.EMAIL,
    )
    business_address = models.CharField(
        gettext_lazy("business address"), max_length=200, blank=True
    )
    business_city = models.CharField(gettext_lazy("business city"), max_length=100, blank=True)
    business_state = models.CharField(gettext_lazy("business state"), max_length=2, blank=True)
    business_zip = models.CharField(gettext_lazy("business ZIP"), max_length=10, blank=True)
    mailing_address = models.CharField(gettext_lazy("mailing address"), max_length=200, blank=True)
    mailing_city = models.CharField(gettext_lazy("mailing city"), max_length=100, blank=True)
    mailing_state = models.CharField(gettext_lazy("mailing state"), max_length=2, blank=True)
    mailing_zip = models.CharField(gettext_lazy("mailing ZIP"), max_length=10, blank=True)
    # The language of this person's pages and of everything sent to them (accounts.language):
    # chosen with the header's switch, or the one their pages were in when they first signed in.
    language = models.CharField(
        gettext_lazy("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    # Only when ACCOUNT_SECURITY_QUESTION is on; the answer is hashed like a password.
    security_question = models.CharField(
        gettext_lazy("security question"), max_length=40, blank=True
    )
    security_answer_hash = models.CharField(
        gettext_lazy("security answer hash"), max_length=200, blank=True, editable=False
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per email address, whatever its case, even for two sign-ups at once.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=gettext_lazy(
                    "An account with this email address already exists."
                ),
            ),
        ]

    def set_security_answer(self, question: str, answer: str) -> None:
        self.security_question = question
        self.security_answer_hash = make_password(normalize_answer(answer))

    def check_security_answer(self, answer: str) -> bool:
        if not self.security_answer_hash:
            return False
        return check_password(normalize_answer(answer), self.security_answer_hash)


class SecondFactorGuard(models.Model):
    """Wrong second-factor codes for one account, from every address together: a stolen
    password and many addresses get no more guesses at the code than one address does
    (SECOND_FACTOR_WRONG_CODE_LIMIT in SECOND_FACTOR_WINDOW_MINUTES, then the account waits
    SECOND_FACTOR_LOCK_MINUTES). A row in the database, locked while a code is checked, so the
    count holds across every process and two guesses at once are both counted."""

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="second_factor_guard",
        verbose_name=gettext_lazy("user"),
    )
    wrong_codes = models.PositiveIntegerField(gettext_lazy("wrong codes"), default=0)
    window_started_at = models.DateTimeField(
        gettext_lazy("window started at"), null=True, blank=True
    )
    locked_until = models.DateTimeField(gettext_lazy("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("second-factor guard")
        verbose_name_plural = gettext_lazy("second-factor guards")

    def __str__(self) -> str:
        return f"second factor of {self.user_id}"


class AuthenticatorEnrolment(models.Model):
    """A one-time link to set up a staff member's first authenticator app, sent by an
    administrator to the staff member's email: the password alone never sets one up. The link
    carries this row's id signed with the site's key (django.core.signing), is good for
    STAFF_ENROLMENT_LINK_HOURS and once; a newer link replaces an unused older one."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="authenticator_enrolments",
        verbose_name=gettext_lazy("user"),
    )
    sent_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        blank=True,
        verbose_name=gettext_lazy("sent by"),
    )
    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(gettext_lazy("expires at"))
    used_at = models.DateTimeField(gettext_lazy("used at"), null=True, blank=True)
    replaced_at = models.DateTimeField(gettext_lazy("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("authenticator set-up link")
        verbose_name_plural = gettext_lazy("authenticator set-up links")
        constraints = [
            # One open link per staff member at a time, even for two sends at once.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, replaced_at__isnull=True),
                name="one_open_enrolment_per_user",
                violation_error_message=gettext_lazy(
                    "A set-up link is already open for this user."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"authenticator set-up link for {self.user_id}"
