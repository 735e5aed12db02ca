"""Anonymised authorities: stable letters from a key the analyst keeps.

Outside an authority's own report, and unless they agreed to be named, authorities appear as
"Authority A", "Authority B", ... The letters come from a secret **key**: a small text file
written beside the data the first time a report, export or notebook needs it (or named with
``key=`` / ``--key``). The same key and the same data give every authority the same letter in
every output (HTML, XLSX, notebook, command line), so analysts can cross-reference; without the
key the letters cannot be tied to names, and they follow no alphabetical order. Each output
shows the key's *fingerprint* (a short code derived from it, which does not reveal it) so a
reader can tell whether two outputs used the same key.

Keep the key file with the data and out of anything shared: anyone holding it and the list of
authorities could work out every letter.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import string
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .errors import AssuredKitError
from .text import fold

__all__ = [
    "KEY_FILE_NAME",
    "AuthorityNames",
    "anonymity_key",
    "authorities_in",
    "authorities_of",
    "key_fingerprint",
    "key_path",
]

#: The key file's name when it is written beside the data.
KEY_FILE_NAME = "assured-kit-anonymity.key"
_HEADER = "# assured-kit anonymity key: keep it with the data, never share it"


def key_path(key: str | os.PathLike[str] | None = None, *, beside: object = None) -> Path:
    """Return where the key file is: ``key``, or `KEY_FILE_NAME` beside the data.

    Examples
    --------
    >>> key_path(beside="workshops/derby.workshop.sqlite").as_posix()
    'workshops/assured-kit-anonymity.key'
    """
    if key is not None:
        return Path(key)
    where = Path(beside) if isinstance(beside, str | os.PathLike) else Path.cwd()
    folder = where if where.is_dir() or not where.suffix else where.parent
    return folder / KEY_FILE_NAME


def anonymity_key(key: str | os.PathLike[str] | None = None, *, beside: object = None) -> bytes:
    """Return the anonymity key, writing a new key file on first use.

    Parameters
    ----------
    key : path, optional
        The key file. Written (with a fresh random key) if it does not exist yet.
    beside : path, optional
        With no ``key``: the data, a file or a folder; the key file is ``KEY_FILE_NAME`` in that
        folder (in the file's folder for a file). Defaults to the current folder.

    Returns
    -------
    bytes
        The secret.

    Raises
    ------
    AssuredKitError
        When the file exists but does not hold a key written by the kit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> anonymity_key(beside=folder) == anonymity_key(folder / KEY_FILE_NAME)
    True
    """
    path = key_path(key, beside=beside)
    if not path.exists():
        text = f"{_HEADER}\n{secrets.token_hex(32)}\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(path, 0o600)
        except FileExistsError:
            pass  # written by another process a moment ago: read theirs
        except OSError as error:
            raise AssuredKitError(
                f"cannot write the anonymity key ({error.strerror or error})",
                file=path,
                allowed="a folder you can write to, or --key pointing at an existing key file",
            ) from error
    lines = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if len(lines) != 1 or not re.fullmatch(r"[0-9a-f]{32,}", lines[0]):
        raise AssuredKitError(
            "this file does not hold an anonymity key",
            file=path,
            allowed="a key file the kit wrote (one line of hexadecimal digits)",
            hint="another file named as the key, or a key file edited by hand",
        )
    return bytes.fromhex(lines[0])


def key_fingerprint(secret: bytes) -> str:
    """Return a short code identifying a key without revealing it.

    Examples
    --------
    >>> key_fingerprint(bytes(32))
    '9525-3FD5'
    """
    digest = hashlib.sha256(b"assured-kit fingerprint\0" + secret).hexdigest().upper()
    return f"{digest[:4]}-{digest[4:8]}"


def authorities_in(
    ratings: pd.DataFrame, examples: pd.DataFrame | None = None, framework: object = None
) -> set[str]:
    """Return every authority one data set can show: the letters are drawn over these.

    The ratings' authorities, the examples' and the framework's list (``framework.authorities``),
    so every output of one data set, whatever it shows, gives each authority the same letter.

    Examples
    --------
    >>> import pandas as pd
    >>> sorted(authorities_in(pd.DataFrame({"authority": ["Derby", None, " "]})))
    ['Derby']
    """
    found = authorities_of(ratings) | authorities_of(examples)
    found |= {str(a) for a in getattr(framework, "authorities", ())}
    return found


def authorities_of(table: pd.DataFrame | None) -> set[str]:
    """Return the authorities a table names: its ``authority`` values that are not blank.

    Each distinct value is read once, so a million answers cost no more than their authorities.

    Examples
    --------
    >>> import pandas as pd
    >>> sorted(authorities_of(pd.DataFrame({"authority": ["Derby", None, " ", "Derby"]})))
    ['Derby']
    >>> authorities_of(None)
    set()
    """
    if table is None or "authority" not in table.columns:
        return set()
    return {str(a) for a in pd.unique(table["authority"].dropna()) if str(a).strip()}


def _letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, ..."""
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = string.ascii_uppercase[rem] + out
    return out


class AuthorityNames:
    """How each authority appears in one output: by name, or as "Authority A", "B", ...

    Every authority in ``present`` gets a letter, in the order of a keyed hash of its (folded)
    name; those in ``named`` are shown by name instead. So an authority keeps its letter in
    every output made with the same key from the same data, whichever authority the output is
    for.

    Parameters
    ----------
    present : iterable of str
        Every authority that could appear (in the ratings, examples, or the framework's list).
    named : iterable of str
        Authorities shown by name (the report's own, and those that agreed to be named).
    key : path, optional
        The key file (see `anonymity_key`); ``beside`` places it when not given.
    seed : int, optional
        A fixed key for tests, instead of a key file.
    beside : path, optional
        Where the data is, for the default key file.

    Examples
    --------
    >>> names = AuthorityNames(["Derby", "Rutland", "Leicester"], named=["Derby"], seed=1)
    >>> names.label("Derby"), sorted(names.label(a) for a in ("Rutland", "Leicester"))
    ('Derby', ['Authority B', 'Authority C'])
    >>> names.scrub("Rutland and Leicester shared this").count("Authority")
    2
    >>> names.scrub("Rutland", neutral=True)
    'another authority'
    """

    def __init__(
        self,
        present: Iterable[str],
        named: Iterable[str] = (),
        seed: int | None = None,
        *,
        key: str | os.PathLike[str] | None = None,
        beside: object = None,
    ) -> None:
        secret = (
            hashlib.sha256(f"assured-kit test seed {seed}".encode()).digest()
            if seed is not None
            else anonymity_key(key, beside=beside)
        )
        self.fingerprint = key_fingerprint(secret)
        everyone = sorted({str(a) for a in present if isinstance(a, str) and a.strip()})
        self.named = {str(a) for a in named}
        order = sorted(
            everyone,
            key=lambda a: hmac.new(secret, fold(a).encode("utf-8"), hashlib.sha256).digest(),
        )
        letter = {a: f"Authority {_letters(i)}" for i, a in enumerate(order)}
        self.mapping = {a: a if a in self.named else letter[a] for a in everyone}
        others = [a for a in everyone if a not in self.named]
        self.hidden = others
        if others:
            alternatives = "|".join(re.escape(a) for a in sorted(others, key=len, reverse=True))
            self._pattern: re.Pattern[str] | None = re.compile(
                rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE
            )
            self._lookup = {a.casefold(): self.mapping[a] for a in others}
        else:
            self._pattern = None

    def sort_key(self, label: str) -> tuple[int, int, str]:
        """Order labels without revealing anything: named by name, then A, B, ..., Z, AA."""
        if label.startswith("Authority ") and label not in self.named:
            letters = label[len("Authority ") :]
            return (1, len(letters), letters)
        return (0, 0, label)

    def label(self, name: object) -> str:
        """Return how ``name`` appears ("" for a missing authority)."""
        if not isinstance(name, str) or not name.strip():
            return ""
        if name in self.mapping:
            return self.mapping[name]
        return self.scrub(name)

    def scrub(self, text: object, *, neutral: bool = False) -> str:
        """Replace every hidden authority's name inside free text by its letter.

        With ``neutral``, by "another authority" instead: for text shown beside a workshop's
        date, size or venue, where a letter would tie the letter to that workshop.
        """
        if text is None or (not isinstance(text, str) and pd.isna(text)):
            return ""
        text = str(text)
        if self._pattern is None:
            return text
        if neutral:
            return self._pattern.sub("another authority", text)
        return self._pattern.sub(lambda m: self._lookup[m.group(0).casefold()], text)
