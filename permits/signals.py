"""Signals the permits app sends for the apps above it to answer (imports never point up)."""

from django.dispatch import Signal

# "Does something hold this fee?" Sent with `fee`; a receiver answers with a few words naming
# what holds it (e.g. "payment 12 (paid)") or None. A held fee keeps its amount.
fee_holders = Signal()


def fee_held_by(fee) -> str | None:
    """What holds the fee (the first answer), or None when nothing does."""
    for _receiver, answer in fee_holders.send(sender=type(fee), fee=fee):
        if answer:
            return answer
    return None
