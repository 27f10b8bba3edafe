"""Ingestion of reviews and after-sales tickets: files (CSV, XLSX, JSON Lines, JSON) and the API.

    from feedback.importing import import_file, import_items, ImportFileError
"""
from .errors import ImportFileError
from .headers import FIELDS, load_mapping
from .readers import decode, read_bytes, read_file
from .service import ImportResult, check_platform, import_file, import_items, import_table, retryable_error, run_import

__all__ = [
    "FIELDS", "ImportFileError", "ImportResult", "check_platform", "decode", "import_file", "import_items",
    "import_table", "load_mapping", "read_bytes", "read_file", "retryable_error", "run_import",
]
