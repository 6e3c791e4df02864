from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class PreferredContact(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    MAIL = "mail", "Mail"


def normalize_answer(answer: str) -> str:
    """Security answers compare without regard to case or spacing: "New  york" is "new york"."""
    return " ".join((answer or "").split()).casefold()


class User(AbstractUser):
    """A person who signs in: a contractor's employee or a city staff member.

    Custom from the first migration so that later fields never need a user-model swap. What a user
    may do with permits is not stored here: it follows from their approved license links and
    business memberships (see the policy package, policy/).
    """

    phone = models.CharField(max_length=30, blank=True)
    preferred_contact = models.CharField(
        "preferred method of contact",
        max_length=10,
        choices=PreferredContact,
        default=PreferredContact.EMAIL,
    )
    business_address = models.CharField(max_length=200, blank=True)
    business_city = models.CharField(max_length=100, blank=True)
    business_state = models.CharField(max_length=2, blank=True)
    business_zip = models.CharField("business ZIP", max_length=10, blank=True)
    mailing_address = models.CharField(max_length=200, blank=True)
    mailing_city = models.CharField(max_length=100, blank=True)
    mailing_state = models.CharField(max_length=2, blank=True)
    mailing_zip = models.CharField("mailing ZIP", max_length=10, blank=True)
    # Only when ACCOUNT_SECURITY_QUESTION is on; the answer is hashed like a password.
    security_question = models.CharField(max_length=40, blank=True)
    security_answer_hash = models.CharField(max_length=200, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per email address, whatever its case, even for two sign-ups at once.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message="An account with this email address already exists.",
            ),
        ]

    def set_security_answer(self, question: str, answer: str) -> None:
        self.security_question = question
        self.security_answer_hash = make_password(normalize_answer(answer))

    def check_security_answer(self, answer: str) -> bool:
        if not self.security_answer_hash:
            return False
        return check_password(normalize_answer(answer), self.security_answer_hash)
