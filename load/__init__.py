"""The load run (`make load`): Locust against gunicorn on PostgreSQL, then the ledger checks.

Not an app and not shipped: no app may import it (tests/test_layers.py).
"""
