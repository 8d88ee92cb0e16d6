"""The import registry: every kind of record a file can create or update.

Each domain declares its kinds beside its models (`tracker/<domain>/imports.py`); the
import pages and `flask import` find them here. The machinery (reading, checking,
previewing through the operations, applying) is `tracker.core.imports`.
"""

from tracker.auth.permissions import can
from tracker.clusters.imports import CapabilityImport, SupplyLinkImport
from tracker.commitments.imports import MilestoneImport
from tracker.core import imports as core_imports
from tracker.core.imports import (  # noqa: F401 (the registry hands the machinery on)
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    ImportFailed,
    ImportKind,
    Preview,
    apply,
    discard_pending,
    load_pending,
    save_pending,
    update_pending_digest,
)
from tracker.incentives.imports import IncentiveImport
from tracker.partners.imports import ContactImport, PartnerImport

KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (
        PartnerImport(),
        ContactImport(),
        IncentiveImport(),
        MilestoneImport(),
        CapabilityImport(),
        SupplyLinkImport(),
    )
}


def may_import(user, kind: str) -> bool:
    """Whether `user`'s role may import `kind` at all (owners: milestones of their own)."""
    return kind in KINDS and can(user, KINDS[kind].permission) and KINDS[kind].may_import(user)


def parse_upload(kind: str, filename: str, data: bytes, user=None) -> Preview:
    """Read and check a file of `kind` (see `tracker.core.imports.parse_upload`)."""
    return core_imports.parse_upload(KINDS[kind], filename, data, user)


def template_bytes(kind: str, fmt: str) -> bytes:
    return core_imports.template_bytes(KINDS[kind], fmt)
