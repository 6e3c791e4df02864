"""Writes about money, one module per concern:

- `cart`: Pay Fees Due, remove a permit, clean lines whose fees are not payable any more;
- `checkout`: start a payment of the whole cart (locks its fees), close the user's older open
  ones, and hand the payer to the provider chosen; `payment_row_create` makes the payment itself
  (convenience fee, total, idempotency key) for a cart and for a deposit online alike;
- `confirm`: `payment_confirm`, the one way a payment becomes paid, and the other state writes
  every provider shares (release, processing);
- `trust`: pay from a trust account, staff deposits and adjustments, the refund credit;
- `refunds`: what every refund writes (the provider moves the money: `payments.flows`).

Above them (they go through the providers, which call these): `payments.flows` (the ways to
pay, a checkout begun, a refund), `payments.reconcile` (open payments brought in line with their
gateways; staff settle a debit by hand) and `payments.webhooks` (Stripe's events).

The guarantees, and where each is kept:
- a fee is in one live payment at most: a partial unique constraint on PaymentLine;
- a payment is confirmed by `confirm.payment_confirm` alone, which locks its row and returns
  early when it is already confirmed: the webhook, the return page, the offline gateway, the
  trust account and reconciliation all call it, and a repeated call has one effect;
- a trust debit locks the account row, checks the balance and writes its entry in one
  transaction; the balance is the sum of an append-only ledger and never goes negative;
- a double-clicked Pay carries the same idempotency key, and finds the first payment;
- no database transaction is open while Stripe is called: check and write before, call, then
  lock and write the outcome (Stripe's idempotency keys make a repeated call harmless).

Services never import `payments.tasks` (the tasks call services), nor send mail: who must be
told hears the event a change recorded (core.events; payments.subscribers).
"""
