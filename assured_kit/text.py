"""How the kit reads the words people type: one home for every screen and file.

The facilitator's paste box, rating sheets, form exports, live voting and the steering group all
read names typed by people. They must accept the same spellings and treat look-alikes as the
same person, so each rule lives here once:

- `fold` makes text comparable (NFKC, case, curly quotes and dashes, Cyrillic and Greek
  look-alikes of Latin letters, invisible characters, runs of white space);
- `clean_label` is what a person's or table's label is stored as: NFKC-normalised, with
  invisible characters (zero-width, bidirectional controls) removed and line breaks refused;
- `match_role` and `match_authority` read a role or an authority as people write them;
- `percent` is how a share is written for people.

Examples
--------
>>> clean_label("Ｔａｂｌｅ 1\u200b")
'Table 1'
>>> match_role("Elected Lead Member"), match_role("director of children\u2019s services")
('LM', 'DCS')
>>> percent(0.25), percent(None)
('25%', '–')
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

from .errors import AssuredKitError

__all__ = [
    "NOTE_LIMIT",
    "RESPONDENT_ROLES",
    "ROLE_NAMES",
    "TEXT_LIMIT",
    "clean_label",
    "fold",
    "match_authority",
    "match_role",
    "percent",
    "roles_allowed",
]

#: The longest note, example or action text the kit keeps, in characters.
NOTE_LIMIT = 2000
#: The longest other free text (titles, venues, owners), in characters.
TEXT_LIMIT = 500

#: The roles a respondent (a person or a table) can have.
RESPONDENT_ROLES = ("DCS", "LM", "Officer", "Mixed")

#: Folded spellings people use for each role, mapped to the role's code.
ROLE_NAMES = {
    "dcs": "DCS",
    "director of children's services": "DCS",
    "director": "DCS",
    "lm": "LM",
    "lead member": "LM",
    "elected lead member": "LM",
    "lead member for children's services": "LM",
    "officer": "Officer",
    "senior officer": "Officer",
    "other senior officer": "Officer",
    "mixed": "Mixed",
    "mixed table": "Mixed",
    "table": "Mixed",
}

_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
# Cyrillic and Greek letters that look like Latin ones; NFKC leaves them apart, so a label typed
# with one would otherwise pass as a different person.
_LOOK_ALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝАВЕКМНОРСТХУІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧον",
    "aeopcyxijsdqwABEKMHOPCTXYIJSABEZHIKMNOPTYXov",
)
# Characters that change how text looks without being seen: zero-width spaces and joiners,
# the byte-order mark, soft hyphen, word joiner and the bidirectional controls.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def fold(text: object) -> str:
    r"""Fold text for forgiving matches: NFKC, case, curly quotes and dashes, white space.

    Invisible characters are dropped, so a label with a trailing zero-width space folds to the
    same text as one without.

    Examples
    --------
    >>> fold("  What  do I\u2019ve   DONE? ")
    "what do i've done?"
    >>> fold("Ｄｅｒｂｙ\u200b") == fold("derby")
    True
    """
    value = "" if text is None else str(text)
    value = _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
    value = value.translate(_PLAIN).translate(_LOOK_ALIKES)
    return " ".join(value.casefold().split())


def clean_label(value: object, *, field: str = "label") -> str:
    r"""Return a label as it is stored: NFKC, invisible characters removed, spaces tidied.

    Parameters
    ----------
    value : str
        The label as typed.
    field : str
        The name of the box or column, for the error message.

    Returns
    -------
    str
        The cleaned label (may be empty; callers decide whether that is allowed).

    Raises
    ------
    AssuredKitError
        When the label holds a line break, or is not text.

    Examples
    --------
    >>> clean_label("  Table\u00a0 3 \u202e")
    'Table 3'
    >>> clean_label("Ann\nSmith")
    Traceback (most recent call last):
    ...
    assured_kit.errors.AssuredKitError: ...the label holds a line break...
    """
    if not isinstance(value, str):
        raise AssuredKitError(
            f"{value!r} is not text",
            field=field,
            allowed="text",
            hint="a number or list passed where a name belongs",
        )
    if _LINE_BREAKS.search(value):
        raise AssuredKitError(
            "the label holds a line break",
            field=field,
            allowed="a label on one line",
            hint="two names pasted into one box; give each its own line or row",
        )
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
    return " ".join(text.split())


def match_role(text: object) -> str | None:
    """Return the respondent role named by ``text`` (forgiving), or ``None``.

    Examples
    --------
    >>> match_role(" lead member"), match_role("dcs"), match_role("Chair")
    ('LM', 'DCS', None)
    """
    return ROLE_NAMES.get(fold(text))


def roles_allowed() -> str:
    """Return the roles as a person would read them in an error message.

    Examples
    --------
    >>> roles_allowed()
    'DCS, LM (Lead Member), Officer or Mixed'
    """
    return "DCS, LM (Lead Member), Officer or Mixed"


def match_authority(text: object, authorities: Sequence[str]) -> str | None:
    """Return the authority in ``authorities`` named by ``text`` (folded), or ``None``.

    Examples
    --------
    >>> match_authority(" north  northamptonshire", ["Derby", "North Northamptonshire"])
    'North Northamptonshire'
    """
    folded = fold(text)
    for authority in authorities:
        if fold(authority) == folded:
            return authority
    return None


def percent(share: object, *, signed: bool = False) -> str:
    """Write a share (0 to 1) as a whole percentage; a missing share is a dash.

    Examples
    --------
    >>> percent(0.5), percent(2 / 3), percent(float("nan")), percent(0.05, signed=True)
    ('50%', '67%', '–', '+5%')
    """
    if share is None:
        return "–"
    try:
        value = float(share)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    if math.isnan(value):
        return "–"
    whole = round(value * 100)
    return f"{whole:+d}%" if signed else f"{whole}%"
