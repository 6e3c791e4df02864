from django import forms

from .catalogue import CHANNEL_TIMINGS, TIMING_REFUSED, Channel, Group
from .preferences import Choices


def field_name(group: str, channel: str) -> str:
    return f"{group}-{channel}"


class TimingsForm(forms.Form):
    """How each group is heard on each channel (`channels`: every one, or those the city uses),
    each channel offering only its own timings (catalogue.CHANNEL_TIMINGS: email At once, Daily
    digest or Off; the portal On or Off; texts At once or Off), starting from the timings as
    they stand (`initial`: {(group, channel): timing}). `sources` ({(group, channel): text})
    says beside each where its value comes from (the person's own choice, their business's
    default, the portal's)."""

    def __init__(
        self,
        *args,
        initial: Choices,
        channels: list[Channel] | None = None,
        sms_note: str = "",
        sources: dict[tuple[str, str], str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.channels = channels or list(Channel)
        self.sources = sources or {}
        for group in Group:
            for channel in self.channels:
                name = field_name(group.value, channel.value)
                described = []
                if channel == Channel.SMS and sms_note:
                    described.append(sms_note)
                if (group.value, channel.value) in self.sources:
                    described.append(f"id_{name}-source")
                attrs = {"class": "form-select form-select-sm"}
                if described:
                    attrs["aria-describedby"] = " ".join(described)
                self.fields[name] = forms.ChoiceField(
                    label=f"{group.label}: {channel.label}",
                    choices=CHANNEL_TIMINGS[channel.value],
                    initial=initial[(group.value, channel.value)],
                    widget=forms.Select(attrs=attrs),
                    error_messages={
                        "invalid_choice": TIMING_REFUSED[channel.value],
                        "required": TIMING_REFUSED[channel.value],
                    },
                )

    def rows(self, always: dict[str, list] | None = None) -> list[dict]:
        """Each group in the table's order: its label, its cells ([(channel label, field, where
        its value comes from)]) and what in it is always sent (`always`: {group: [rows]})."""
        return [
            {
                "group": group.value,
                "label": group.label,
                "cells": [
                    (
                        channel.label,
                        self[field_name(group.value, channel.value)],
                        self.sources.get((group.value, channel.value), ""),
                    )
                    for channel in self.channels
                ],
                "always": (always or {}).get(group.value, []),
            }
            for group in Group
        ]

    def changed_choices(self) -> Choices:
        """Only what the person changed: what they left as it was keeps following the defaults
        (a Manager's later change reaches them)."""
        return {
            tuple(name.split("-", 1)): self.cleaned_data[name]
            for name in self.changed_data
            if name in self.fields
        }
