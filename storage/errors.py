"""Failures of the store.

StorageError
 +-- NotFound            the record does not exist (any more)
 +-- VersionConflict     a compare-and-set on the version number lost against another write
 +-- StorageUnavailable  MongoDB cannot be reached or did not answer in time
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


class StorageUnavailable(StorageError):
    pass
