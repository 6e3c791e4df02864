# English: $1,234.56 and -$12.00, as the portal has always shown money.
MONEY_FORMAT = "{sign}${amount}"
