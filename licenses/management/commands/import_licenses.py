from core.importing import ImportCommand, ImportReport
from licenses.importers import import_licenses


class Command(ImportCommand):
    help = (
        "Load contractors and licenses from a CSV (license_number, license_type, business_name, "
        "contact_name, address, city, state, zip, phone, email, status, issued_on, expires_on), "
        "upserting by license number."
    )

    def run_import(self, path: str, **kwargs) -> ImportReport:
        return import_licenses(path, **kwargs)
