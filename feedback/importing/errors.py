"""The one error a whole file can get."""


class ImportFileError(Exception):
    """The file is not a table we can read (empty, binary, truncated, unrecognized header, ...).
    Raised before anything is written, so the database is unchanged."""
