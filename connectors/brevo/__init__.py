"""Brevo connector: contacts, lists, imports and transactional email over ``brevo-python`` 5.x."""

from connectors.brevo.client import LIST_BATCH, BrevoClient
from connectors.brevo.errors import AttributeConflictError, ImportTooLargeError, ProcessTimeoutError
from connectors.brevo.models import (
    Account,
    Attribute,
    AttributesReport,
    Contact,
    ContactList,
    ContactStates,
    ImportResult,
    ListChangeResult,
    ProcessReport,
    RejectedRow,
    SentEmail,
)
from connectors.brevo.payload import (
    BLOCKLIST_FIELDS,
    chunk_rows,
    encoded_size,
    import_body,
    import_row,
    is_blocklist_field,
    normalise_rows,
    type_problem,
)
from connectors.brevo.settings import IMPORT_BODY_HARD_LIMIT, BrevoSettings

__all__ = [
    "BLOCKLIST_FIELDS",
    "IMPORT_BODY_HARD_LIMIT",
    "LIST_BATCH",
    "Account",
    "Attribute",
    "AttributeConflictError",
    "AttributesReport",
    "BrevoClient",
    "BrevoSettings",
    "Contact",
    "ContactList",
    "ContactStates",
    "ImportResult",
    "ImportTooLargeError",
    "ListChangeResult",
    "ProcessReport",
    "ProcessTimeoutError",
    "RejectedRow",
    "SentEmail",
    "chunk_rows",
    "encoded_size",
    "import_body",
    "import_row",
    "is_blocklist_field",
    "normalise_rows",
    "type_problem",
]
