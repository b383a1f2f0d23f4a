"""The exported adapter conformance suite (needs pytest).

Subclass :class:`AdapterSuite` and provide ``adapter`` and ``raw`` fixtures to run every
contract test against your own adapter; see ``docs/adapters.md``.
"""

from .raw import KINDS, MemoryRawStore, RawStore, SQLAlchemyRawStore
from .suite import AdapterSuite

__all__ = ["KINDS", "AdapterSuite", "MemoryRawStore", "RawStore", "SQLAlchemyRawStore"]
