from core.importing import ImportCommand, ImportReport
from permits.importers import import_permits


class Command(ImportCommand):
    help = (
        "Load permits from a BLDS (Building & Land Development Specification) permits CSV, "
        "upserting by PermitNum. Load licenses first (import_licenses) so permits find their "
        "license professional."
    )

    def run_import(self, path: str, **kwargs) -> ImportReport:
        return import_permits(path, **kwargs)
