"""The portal's own request middleware."""

from auditlog.middleware import AuditlogMiddleware

from accounts.security import client_ip


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware (the request's user is the actor of every change it makes),
    with the client's address as the trusted proxy setting tells it, like everything else:
    auditlog's own reads the first X-Forwarded-For entry, which any client can write."""

    @staticmethod
    def _get_remote_addr(request):
        address = client_ip(request)
        return address if address and address != "-" else None
