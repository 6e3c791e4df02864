from django import forms

from .catalogue import Channel, Group, Timing
from .preferences import Choices


def field_name(group: str, channel: str) -> str:
    return f"{group}-{channel}"


class TimingsForm(forms.Form):
    """At once, Daily digest or Off for each group on each channel (`channels`: every one, or
    those the city uses), starting from the timings as they stand (`initial`:
    {(group, channel): timing})."""

    def __init__(
        self,
        *args,
        initial: Choices,
        channels: list[Channel] | None = None,
        sms_note: str = "",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.channels = channels or list(Channel)
        for group in Group:
            for channel in self.channels:
                attrs = {"class": "form-select form-select-sm"}
                if channel == Channel.SMS and sms_note:
                    attrs["aria-describedby"] = sms_note
                self.fields[field_name(group.value, channel.value)] = forms.ChoiceField(
                    label=f"{group.label}: {channel.label}",
                    choices=Timing.choices,
                    initial=initial[(group.value, channel.value)],
                    widget=forms.Select(attrs=attrs),
                )

    def rows(self, always: dict[str, list] | None = None) -> list[dict]:
        """Each group in the table's order: its label, its fields ([(channel label, field)]) and
        what in it is always sent (`always`: {group: [rows]})."""
        return [
            {
                "group": group.value,
                "label": group.label,
                "cells": [
                    (channel.label, self[field_name(group.value, channel.value)])
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
