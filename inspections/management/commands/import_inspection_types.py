from core.importing import ImportCommand, ImportReport
from inspections.importers import import_inspection_types


class Command(ImportCommand):
    help = (
        "Load the inspections each permit type can have from a CSV (permit_type, "
        "inspection_code, inspection_name; a permit_type of * or empty puts the inspection on the "
        "city-wide list, for every permit type without its own), upserting by type and code."
    )

    def run_import(self, path: str, **kwargs) -> ImportReport:
        return import_inspection_types(path, **kwargs)
