"""The paper index on disk: versions written once, swapped atomically, memory-mapped.

No ORM here. A version is a directory under ``INDEX_DIR``: each NumPy array of the
``PaperIndex`` (and the arrays of each sparse matrix) is an ``.npy`` file that readers
memory-map, so every process on the machine shares one copy in the page cache; the rest
(the fitted vectorizer, readable terms, titles) is one pickle. ``papers`` holds the
per-row arrays the caller keeps next to the index (paper ids, ingest times...). A version
is written under a temporary name and renamed into place; then the ``current`` file,
which names the version, is replaced (``os.replace``, atomic on POSIX). Readers stat
``current`` on each use and load a new version only when it changed.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import mmap
import os
import pickle
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .ranking import Analyzer, PaperIndex

log = logging.getLogger(__name__)

CURRENT = "current"
KEEP_VERSIONS = 3
"""Versions kept on disk: the current one and the two before it, which a process that has
not yet noticed the swap may still be reading."""

_SPARSE_PARTS = ("data", "indices", "indptr")


FORMAT = (
    *(field.name for field in dataclasses.fields(PaperIndex)),
    f"stems {Analyzer.VERSION}",
)
"""What a version holds: ``PaperIndex``'s fields, its words stemmed as ``Analyzer`` does. A
version written by code whose index had other fields or stems is not loaded (the next
tick has a new one built)."""


class VersionChanged(Exception):
    """The current version is no longer the one a derived version was made from."""


class OutdatedIndex(Exception):
    """The version was written by code whose ``PaperIndex`` had other fields."""


@dataclasses.dataclass(frozen=True)
class StoredIndex:
    version: str
    index: PaperIndex
    papers: dict[str, np.ndarray]


def save(
    directory: Path,
    index: PaperIndex,
    papers: dict[str, np.ndarray],
    *,
    based_on: str | None = None,
) -> str:
    """Write a new version and make it current; its name is returned.

    With ``based_on``, the swap happens only if that version is still current (else
    ``VersionChanged``): a version derived from an older one never replaces a newer build.
    Arrays that are memory-mapped files of an earlier version are hard-linked, not copied.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    version = f"v{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    temporary = directory / f".tmp-{version}"
    temporary.mkdir()
    try:
        rest, arrays = {"__format__": ("format", FORMAT)}, {}
        for field in dataclasses.fields(index):
            value = getattr(index, field.name)
            if isinstance(value, np.ndarray) and value.dtype != object:
                arrays[field.name] = value
            elif isinstance(value, sp.csr_matrix):
                if not value.has_canonical_format:
                    # Sorted once here: a read-only mapped matrix cannot be sorted in place,
                    # which SciPy does on the first comparison or product that needs it.
                    value = value.copy()
                    value.sum_duplicates()
                for part in _SPARSE_PARTS:
                    arrays[f"{field.name}.{part}"] = getattr(value, part)
                rest[field.name] = ("csr", value.shape)
            else:
                rest[field.name] = ("pickle", value)
        arrays.update({f"papers.{name}": value for name, value in papers.items()})
        for name, array in arrays.items():
            _write_array(temporary / f"{name}.npy", array)
        with open(temporary / "rest.pkl", "wb") as file:
            pickle.dump(rest, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, directory / version)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    with _locked(directory):
        if based_on is not None and current_version(directory) != based_on:
            shutil.rmtree(directory / version, ignore_errors=True)
            raise VersionChanged(f"{based_on} is no longer the current index")
        pointer = directory / f".{CURRENT}-{version}"
        pointer.write_text(version)
        os.replace(pointer, directory / CURRENT)
        _prune(directory, version)
    return version


def _write_array(path: Path, array: np.ndarray) -> None:
    source = _mapped_file(array)
    if source:
        try:
            os.link(source, path)
            return
        except OSError:
            pass
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def _mapped_file(array: np.ndarray) -> str | None:
    """The ``.npy`` file of an earlier version that ``array`` maps whole, if any."""
    view = array
    while isinstance(view, np.ndarray):
        if isinstance(view, np.memmap) and isinstance(view.base, mmap.mmap):
            whole = view.ctypes.data == array.ctypes.data and view.nbytes == array.nbytes
            return view.filename if whole else None
        view = view.base
    return None


def building(directory: Path):
    """Held while a build reads papers and writes its version: one build at a time."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    return _locked(directory, ".build-lock")


@contextmanager
def _locked(directory: Path, name: str = ".lock"):
    with open(Path(directory) / name, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prune(directory: Path, current: str) -> None:
    """Delete all but the newest ``KEEP_VERSIONS`` versions (mapped files stay readable)."""
    versions = sorted(p for p in directory.iterdir() if p.is_dir() and p.name.startswith("v"))
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def current_version(directory: Path) -> str | None:
    try:
        return (Path(directory) / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


def load(directory: Path, version: str) -> StoredIndex:
    """One version, its arrays memory-mapped read-only (``OutdatedIndex`` if written by
    code whose index had other fields)."""
    path = Path(directory) / version
    with open(path / "rest.pkl", "rb") as file:
        rest = pickle.load(file)
    if rest.get("__format__") != ("format", FORMAT):
        raise OutdatedIndex(f"index {version} was built by an earlier release")

    def array(name):
        return np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    values = {}
    for field in dataclasses.fields(PaperIndex):
        kind, value = rest.get(field.name, (None, None))
        if kind == "csr":
            parts = [array(f"{field.name}.{part}") for part in _SPARSE_PARTS]
            values[field.name] = sp.csr_matrix(tuple(parts), shape=value, copy=False)
        elif kind == "pickle":
            values[field.name] = value
        else:
            values[field.name] = array(field.name)
    papers = {
        p.name.removeprefix("papers.").removesuffix(".npy"): np.load(p, mmap_mode="r")
        for p in path.glob("papers.*.npy")
    }
    return StoredIndex(version=version, index=PaperIndex(**values), papers=papers)


class Reader:
    """A process's view of the current version: loaded on first use, reloaded after a swap.
    An outdated version (see ``FORMAT``) reads as no index until a new one is built.

    Each call costs one ``stat`` of the ``current`` file while nothing changed.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._stamp = None
        self._loaded: StoredIndex | None = None

    def current(self, directory: Path) -> StoredIndex | None:
        pointer = Path(directory) / CURRENT
        try:
            info = pointer.stat()
        except FileNotFoundError:
            return None
        stamp = (str(pointer), info.st_ino, info.st_mtime_ns, info.st_size)
        with self._lock:
            if stamp != self._stamp:
                version = current_version(directory)
                if self._loaded is None or self._loaded.version != version:
                    try:
                        self._loaded = load(directory, version)
                    except OutdatedIndex as exc:
                        log.warning("%s: not used until a new one is built", exc)
                        self._loaded = None
                self._stamp = stamp
            return self._loaded
