"""Failures of the store.

StorageError
 +-- NotFound            the record does not exist (any more)
 +-- VersionConflict     a compare-and-set on the version number lost against another write
 +-- MissingReference    a record the write points at does not exist (any more)
 +-- InUse               the record to delete is still pointed at by others
 +-- StorageUnavailable  MongoDB cannot be reached or did not answer in time
 +-- MissingIndicator    the item reported on has no indicator of this key (any more)
 +-- GranularityMismatch the indicator is reported at another granularity already
 +-- UnitChanged         an edit changes the unit of an indicator that has reports
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every failure this package raises on purpose."""


class NotFound(StorageError):
    pass


class VersionConflict(StorageError):
    def __init__(self, *, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, the stored version is {actual}")
        self.expected = expected
        self.actual = actual


class MissingReference(StorageError):
    def __init__(self, *, collection: str, id: str) -> None:
        super().__init__(f"no record {id} in {collection}")
        self.collection = collection
        self.id = id


class InUse(StorageError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StorageUnavailable(StorageError):
    pass


class MissingIndicator(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no indicator {key}")
        self.key = key


class GranularityMismatch(StorageError):
    def __init__(self, granularity: str) -> None:
        super().__init__(f"the indicator is reported per {granularity}")
        self.granularity = granularity


class UnitChanged(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"the indicator {key} has reports in another unit")
        self.key = key
