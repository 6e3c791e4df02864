"""Payment rules (a payment is read only for its payer):

- `can_view_payment` (its return page, status, receipt, and the offline gateway's page): the
  user who made it. A colleague with Pay sees the fees as paid on the permit, not someone
  else's receipt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.models import Payment


def can_view_payment(user, payment: Payment) -> bool:
    return bool(user.is_authenticated and payment.user_id == user.pk)
