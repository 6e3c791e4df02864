"""The portal's additions to Django's format modules (FORMAT_MODULE_PATH), one package per locale.

Django's own modules give every date, time and number format (English: django/conf/locale/en;
Canadian French: django/conf/locale/fr_CA); these add what Django has no setting for, read by
core.money: MONEY_FORMAT, how an amount is written, with {sign} and {amount} (the amount with
the locale's separators and two decimals).
"""
