"""The one error type the kit raises for bad input."""

from __future__ import annotations

from os import PathLike

__all__ = ["AssuredKitError"]


class AssuredKitError(ValueError):
    """Bad input: a file, row, field or value the kit cannot accept.

    The message says what was wrong, where it was (file, row, field), what is allowed
    and the likely slip, so that a facilitator or analyst can fix it without reading code.

    Parameters
    ----------
    problem : str
        What was wrong, in plain words.
    file : str or path-like, optional
        The file the bad input came from.
    row : int, optional
        The row as a spreadsheet program numbers it (the header is row 1).
    field : str, optional
        The column or field name.
    allowed : str, optional
        What would have been accepted.
    hint : str, optional
        The likely cause, e.g. a stray space or a number typed as text.

    Examples
    --------
    >>> err = AssuredKitError("unknown role 'dcs '", file="q.csv", row=4,
    ...                       field="role", allowed="DCS or LM", hint="a space?")
    >>> print(err)
    q.csv, row 4, field 'role': unknown role 'dcs '. Allowed: DCS or LM. Likely cause: a space?
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | PathLike[str] | None = None,
        row: int | None = None,
        field: str | None = None,
        allowed: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = None if file is None else str(file)
        self.row = row
        self.field = field
        self.allowed = allowed
        self.hint = hint
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        text = f"{', '.join(where)}: {self.problem}" if where else self.problem
        if not text.endswith((".", "?", "!")):
            text += "."
        if self.allowed:
            text += f" Allowed: {self.allowed}."
        if self.hint:
            text += f" Likely cause: {self.hint}"
        return text
