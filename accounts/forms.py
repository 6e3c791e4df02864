import re

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm, ResetPasswordKeyForm, SignupForm
from allauth.account.utils import filter_users_by_email
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.validators import PHONE, STATE, ZIP
from licenses.models import License, LicenseType, Membership, Role, normalize_license_number

from .models import PreferredContact, User
from .security import SECURITY_QUESTIONS, security_question_enabled

REMEMBER_COOKIE = "portal_login_name"
REMEMBER_SALT = "portal.remember-login-name"
REMEMBER_MAX_AGE = 365 * 24 * 60 * 60


def article(word: str) -> str:
    """ "a" or "an" before `word` (by its first letter: an Electrical, a Plumbing)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def wrong_prefix_message(*, license_type: LicenseType, number: str) -> str:
    """A license number that does not start with its type's prefix, in a sentence whose English
    article goes with the type's name ("An Electrical", "A Plumbing"): one sentence for each, so
    that a language without that rule translates both alike."""
    values = {
        "type": license_type.name,
        "prefix": license_type.prefix,
        "number": number,
        "start": number[:2],
    }
    if article(license_type.name) == "an":
        return (
            _(
                "An %(type)s license number starts with %(prefix)s; %(number)s starts with "
                "%(start)s. Check the license type."
            )
            % values
        )
    return (
        _(
            "A %(type)s license number starts with %(prefix)s; %(number)s starts with "
            "%(start)s. Check the license type."
        )
        % values
    )


class LicenseLookupForm(forms.Form):
    """Find a license on the city's record by type and number, as the cities' portals do."""

    license_type = forms.ModelChoiceField(
        label=gettext_lazy("License Type"),
        queryset=LicenseType.objects.order_by("name"),
        to_field_name="prefix",
        empty_label=gettext_lazy("Choose a license type"),
        error_messages={
            "required": gettext_lazy("Choose the license type."),
            "invalid_choice": gettext_lazy("Choose a license type from the list."),
        },
    )
    license_number = forms.CharField(
        label=gettext_lazy("License Number"),
        max_length=20,
        help_text=gettext_lazy(
            "As on the license, e.g. EC12345 (or 12345 with the license type chosen)."
        ),
        error_messages={"required": gettext_lazy("Enter the license number.")},
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        license_type, raw = cleaned.get("license_type"), cleaned.get("license_number")
        if not license_type or not raw:
            return cleaned
        number = normalize_license_number(raw)
        if number[:1].isdigit():
            # Digits alone, with the type chosen: the type's prefix is meant (as the public
            # search reads them).
            number = license_type.prefix + number
        if not re.match(r"^[A-Z]{2}[A-Z0-9]{1,18}$", number):
            self.add_error(
                "license_number", _("A license number is two letters and then letters or digits.")
            )
        elif not number.startswith(license_type.prefix):
            self.add_error(
                "license_number", wrong_prefix_message(license_type=license_type, number=number)
            )
        else:
            cleaned["license_number"] = number
        return cleaned

    def find(self) -> License | None:
        return (
            License.objects.select_related("holder", "license_type")
            .filter(number=self.cleaned_data["license_number"])
            .first()
        )


class AddressFieldsMixin:
    """The business and mailing addresses, with their checks."""

    def clean_business_state(self) -> str:
        return self.cleaned_data["business_state"].upper()

    def clean_mailing_state(self) -> str:
        return self.cleaned_data["mailing_state"].upper()


def address_fields() -> dict[str, forms.Field]:
    return {
        "business_address": forms.CharField(label=_("Business address"), max_length=200),
        "business_city": forms.CharField(label=_("City"), max_length=100),
        "business_state": forms.CharField(label=_("State"), max_length=2, validators=[STATE]),
        "business_zip": forms.CharField(label=_("ZIP"), max_length=10, validators=[ZIP]),
        "mailing_same": forms.BooleanField(
            label=_("Mailing address is the same as the business address"),
            required=False,
            initial=True,
        ),
        "mailing_address": forms.CharField(
            label=_("Mailing address"), max_length=200, required=False
        ),
        "mailing_city": forms.CharField(label=_("Mailing city"), max_length=100, required=False),
        "mailing_state": forms.CharField(
            label=_("Mailing state"), max_length=2, required=False, validators=[STATE]
        ),
        "mailing_zip": forms.CharField(
            label=_("Mailing ZIP"), max_length=10, required=False, validators=[ZIP]
        ),
    }


MAILING = ("mailing_address", "mailing_city", "mailing_state", "mailing_zip")
BUSINESS = ("business_address", "business_city", "business_state", "business_zip")


def clean_mailing(form: forms.Form, cleaned: dict) -> None:
    """Copy the business address when "same" is ticked; otherwise every part is needed."""
    if cleaned.get("mailing_same"):
        for mailing, business in zip(MAILING, BUSINESS, strict=True):
            cleaned[mailing] = cleaned.get(business, "")
        return
    for name in MAILING:
        if not cleaned.get(name) and name not in form.errors:
            form.add_error(
                name, _("Enter the mailing address, or tick “same as the business address”.")
            )


class ContractorSignupForm(SignupForm):
    """Step 3 of Contractor Registration: the account itself (allauth's signup, extended).

    The wizard's view passes `licenses`: the licenses chosen in step 2, for "Auto-fill with".
    """

    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150)
    autofill = forms.BooleanField(
        label=gettext_lazy("Auto-fill with"),
        required=False,
        help_text=gettext_lazy("Copy the business address from the city's record of this license."),
    )
    autofill_from = forms.ModelChoiceField(
        label=gettext_lazy("License to copy the address from"),
        queryset=License.objects.none(),
        required=False,
        empty_label=None,
    )
    phone = forms.CharField(label=gettext_lazy("Phone number"), max_length=30, validators=[PHONE])
    preferred_contact = forms.ChoiceField(
        label=gettext_lazy("Preferred Method of Contact"),
        choices=PreferredContact.choices,
        initial=PreferredContact.EMAIL,
        widget=forms.RadioSelect,
    )

    field_order = [
        "username",
        "email",
        "password1",
        "password2",
        "first_name",
        "last_name",
        "autofill",
        "autofill_from",
        *BUSINESS,
        "mailing_same",
        *MAILING,
        "phone",
        "preferred_contact",
        "security_question",
        "security_answer",
    ]

    def __init__(self, *args, licenses=None, **kwargs):
        self.licenses = list(licenses or [])
        super().__init__(*args, **kwargs)
        for name, field in address_fields().items():
            self.fields[name] = field
        if security_question_enabled():
            self.fields["security_question"] = forms.ChoiceField(
                label=_("Security question"),
                choices=[("", _("Choose a question")), *SECURITY_QUESTIONS],
            )
            self.fields["security_answer"] = forms.CharField(
                label=_("Answer"),
                max_length=100,
                help_text=_("Asked with the emailed link when you reset your password."),
                widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
            )
        self.fields["autofill_from"].queryset = License.objects.filter(
            pk__in=[license.pk for license in self.licenses]
        ).select_related("holder")
        self.fields["autofill_from"].label_from_instance = lambda license: (
            f"{license.number}: {license.holder.business_name}"
        )
        username = self.fields["username"]
        username.label = _("User name")
        username.help_text = _("4 to 32 letters, digits and . _ -; it cannot be changed later.")
        self.fields["email"].label = _("Email address")
        self.order_fields(self.field_order)

    def clean(self) -> dict:
        # "Auto-fill with": empty business-address parts come from the license's record.
        license = self.autofill_license()
        if license is not None:
            holder = license.holder
            values = {
                "business_address": holder.address,
                "business_city": holder.city,
                "business_state": holder.state,
                "business_zip": holder.zip_code,
            }
            for name, value in values.items():
                if not self.cleaned_data.get(name) and value:
                    self.cleaned_data[name] = value
                    self.errors.pop(name, None)
        cleaned = super().clean()
        cleaned["business_state"] = (cleaned.get("business_state") or "").upper()
        clean_mailing(self, cleaned)
        return cleaned

    def validate_unique_email(self, value: str) -> str:
        # Never "A user is already registered with this email address" (issue 12): a taken
        # address creates nothing, its owner is emailed instead, and the page is the one every
        # registration gets (accounts.views.RegistrationAccountView). allauth does this itself
        # only when verification is mandatory for every sign-in, which the portal's is not.
        self.account_already_exists = bool(filter_users_by_email(value))
        return get_adapter().validate_unique_email(value)

    def autofill_license(self) -> License | None:
        if self.cleaned_data.get("autofill") is not True or not self.licenses:
            return None
        source = self.data.get(self.add_prefix("autofill_from"))
        chosen = [lic for lic in self.licenses if str(lic.pk) == source]
        return chosen[0] if chosen else self.licenses[0]

    def autofill_data(self) -> dict[str, dict[str, str]]:
        """The addresses "Auto-fill with" copies, for the page's script."""
        return {
            str(license.pk): {
                "business_address": license.holder.address,
                "business_city": license.holder.city,
                "business_state": license.holder.state,
                "business_zip": license.holder.zip_code,
            }
            for license in self.licenses
        }

    def custom_signup(self, request, user: User) -> None:
        data = self.cleaned_data
        user.first_name = data["first_name"]
        user.last_name = data["last_name"]
        user.phone = data["phone"]
        user.preferred_contact = data["preferred_contact"]
        for name in (*BUSINESS, *MAILING):
            setattr(user, name, data.get(name, ""))
        if security_question_enabled():
            user.set_security_answer(data["security_question"], data["security_answer"])
        user.save()


# The longest email address (RFC 5321); user names are shorter.
LOGIN_MAX_LENGTH = 254


class ContractorLoginForm(LoginForm):
    """Contractor Login: user name or email and password. "Remember me on this computer"
    remembers the user name only, in a signed cookie: never the password, never the session."""

    remember_name = forms.BooleanField(
        label=gettext_lazy("Remember me on this computer"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("User name or email")
        # allauth's own words, through the portal's catalogue too (its French says "e-mail"
        # where the portal says "courriel").
        login.widget.attrs["placeholder"] = _("Username or email")
        login.widget.attrs.update(autocomplete="username", maxlength=LOGIN_MAX_LENGTH)
        # Refused here, before authentication: a name past what any account can have would
        # otherwise reach the sign-in failure log (django-axes) and overflow its column.
        login.validators.append(
            MaxLengthValidator(
                LOGIN_MAX_LENGTH,
                _("A user name or email has at most %(limit_value)d characters."),
            )
        )
        remembered = ""
        if self.request is not None:
            remembered = self.request.get_signed_cookie(
                REMEMBER_COOKIE, default="", salt=REMEMBER_SALT, max_age=REMEMBER_MAX_AGE
            )
        if remembered and not self.is_bound:
            self.fields["login"].initial = remembered
            self.fields["remember_name"].initial = True
            self.fields["password"].widget.attrs["autofocus"] = True

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url=redirect_url)
        if self.cleaned_data.get("remember_name"):
            response.set_signed_cookie(
                REMEMBER_COOKIE,
                self.user.get_username(),
                salt=REMEMBER_SALT,
                max_age=REMEMBER_MAX_AGE,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        else:
            response.delete_cookie(REMEMBER_COOKIE)
        return response


class SecurityAnswerResetPasswordKeyForm(ResetPasswordKeyForm):
    """The password reset (from the emailed link) asks the security question too, when the
    feature is on and the user has one: in addition to the link, never instead of it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.user
        if security_question_enabled() and user is not None and user.security_answer_hash:
            from .security import QUESTION_TEXT

            self.fields["security_answer"] = forms.CharField(
                label=QUESTION_TEXT.get(user.security_question, _("Your security question")),
                max_length=100,
                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
            )
            self.order_fields(["security_answer", "password1", "password2"])

    def clean_security_answer(self) -> str:
        answer = self.cleaned_data["security_answer"]
        if not self.user.check_security_answer(answer):
            raise forms.ValidationError(_("That is not the answer on record."))
        return answer


class ProfileForm(AddressFieldsMixin, forms.ModelForm):
    """Account Management: name, contact details and preferred method of contact. The user name
    is not here: it cannot be changed."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "preferred_contact", *BUSINESS, *MAILING]
        widgets = {"preferred_contact": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "phone", *BUSINESS):
            self.fields[name].required = True
        self.fields["phone"].validators.append(PHONE)
        for name in ("business_state", "mailing_state"):
            self.fields[name].validators.append(STATE)
        for name in ("business_zip", "mailing_zip"):
            self.fields[name].validators.append(ZIP)
        self.fields["preferred_contact"].label = _("Preferred Method of Contact")
        self.fields["preferred_contact"].choices = PreferredContact.choices


class SecurityQuestionForm(forms.Form):
    security_question = forms.ChoiceField(
        label=gettext_lazy("Security question"), choices=SECURITY_QUESTIONS
    )
    security_answer = forms.CharField(
        label=gettext_lazy("Answer"),
        max_length=100,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    current_password = forms.CharField(
        label=gettext_lazy("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your current password."))
        return password


class PinForm(forms.Form):
    pin = forms.CharField(
        label=gettext_lazy("Business PIN"),
        max_length=20,
        help_text=gettext_lazy("Eight letters and digits, from your company's portal manager."),
    )


class MembershipRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    @classmethod
    def for_membership(cls, membership: Membership, **kwargs) -> "MembershipRolesForm":
        # A Manager holds every role: each is shown granted, as it works.
        initial = {"roles": sorted(membership.roles)}
        return cls(initial=initial, prefix=f"m{membership.pk}", **kwargs)


class StaffLoginForm(AdminAuthenticationForm):
    """The Django admin's sign-in, with the same length limit as the portal's: a name longer
    than any account's is refused before authentication (and the lock-out log)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(
            MaxLengthValidator(
                LOGIN_MAX_LENGTH,
                _("A user name has at most %(limit_value)d characters."),
            )
        )
