# Canadian French (Office québécois de la langue française). Dates and numbers: Django's fr_CA
# formats (7 décembre 2026, 2026-12-07, 1 234,5; Sunday first).

# Money: 1 234,56 $ and -12,00 $, with non-breaking spaces (Django's fr_CA thousand separator,
# and before the sign) so that an amount never breaks across lines.
MONEY_FORMAT = "{sign}{amount}\xa0$"

# Times: 9 h 05, 14 h 30 (the hour without a leading zero). Django's fr_CA module writes the
# "h" unescaped, which the date filter reads as the hour ("14 02 30"); here it is escaped.
TIME_FORMAT = "G\xa0\\h\xa0i"
DATETIME_FORMAT = "j F Y, G\xa0\\h\xa0i"
SHORT_DATETIME_FORMAT = "Y-m-d G\xa0\\h\xa0i"
