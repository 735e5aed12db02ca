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

    def plain(self) -> str:
        """Return the message in the words a facilitator reads on screen.

        The same facts as ``str(err)``, without programmer wording: the file by its name (not
        its full path), the field as words (``respondent_id`` becomes "Respondent id"), and no
        quotes around it.

        Examples
        --------
        >>> err = AssuredKitError("the label is empty", file="/tmp/a/q.csv", row=4,
        ...                       field="label", allowed="any words")
        >>> err.plain()
        'q.csv, row 4, Label: the label is empty. Allowed: any words.'
        """
        where = []
        if self.file is not None:
            where.append(self.file.replace("\\", "/").rsplit("/", 1)[-1])
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            words = self.field.replace("_", " ").strip()
            where.append(words[:1].upper() + words[1:])
        return self._compose(where)

    def _compose(self, where: list[str] | None = None) -> str:
        if where is None:
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
