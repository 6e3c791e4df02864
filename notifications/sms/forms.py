"""The Text messages page's forms: a number to add, the code texted to it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import normalize_number


class PhoneNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        help_text=_("A US number like (217) 555-0123, or another country's starting with +."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_number(self) -> str:
        return normalize_number(self.cleaned_data["number"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("Enter the 6 digits from the text."))
        return code
