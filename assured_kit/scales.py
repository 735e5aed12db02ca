"""Rating scales as data: confidence, evidence, audit, red/amber/green, or your own.

A scale lives in a framework folder's ``scales.csv``: one row per level with
``scale_id, scale_title, value, label, description``. Levels are whole numbers with no gaps,
each with its own label. "Don't know" is never a level: it is its own answer and is never
averaged.

"Top" and "bottom" are defined once, here: the levels above the scale's midpoint are the
top, the levels below it are the bottom (for the 5-point confidence scale, 4-5 and 1-2; for the
4-point audit scale, "Mostly met"/"Fully met" and "Not met"/"Partially met"; for red/amber/green,
green and red).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pandas as pd

from .errors import AssuredKitError
from .text import fold

__all__ = ["DONT_KNOW_LABEL", "Scale", "scales_from_table"]

DONT_KNOW_LABEL = "Don't know"
_DONT_KNOW_SPELLINGS = {"dont know", "don't know", "don’t know", "dk", "do not know", "not sure"}
_LEADING_NUMBER = re.compile(r"^\s*(-?\d+)\s*(?:[-–—:.)]\s*(.*))?$")


@dataclass(frozen=True, eq=False)
class Scale:
    """An ordered rating scale.

    Parameters
    ----------
    scale_id : str
        Short name, e.g. ``"confidence"``.
    title : str
        Name shown to people, e.g. ``"Confidence"``.
    levels : pandas.DataFrame
        Columns ``value`` (Int64, consecutive), ``label`` and ``description``, in order.

    Examples
    --------
    >>> from assured_kit import get_scale
    >>> conf = get_scale("confidence")
    >>> conf.values, conf.top_values, conf.bottom_values
    ([1, 2, 3, 4, 5], [4, 5], [1, 2])
    >>> conf.parse("4 - Mostly confident"), conf.parse("fully confident"), conf.parse("Don't know")
    (4, 5, None)
    """

    scale_id: str
    title: str
    levels: pd.DataFrame

    def __copy__(self) -> Scale:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Scale:
        """Return the scale itself: a scale never changes, so needs no copy.

        pandas deep-copies a table's ``attrs`` (where every summary keeps its scales) into each
        table, column and row made from it; copying the scale's levels there each time made
        reading a summary row by row cost a tenth of a second.
        """
        return self

    @property
    def values(self) -> list[int]:
        """The level values, lowest first."""
        return [int(v) for v in self.levels["value"]]

    @property
    def labels(self) -> list[str]:
        """The level labels, lowest first."""
        return [str(v) for v in self.levels["label"]]

    @property
    def minimum(self) -> int:
        """The lowest value."""
        return self.values[0]

    @property
    def maximum(self) -> int:
        """The highest value."""
        return self.values[-1]

    @property
    def midpoint(self) -> float:
        """The centre of the scale, where diverging charts are centred."""
        return (self.minimum + self.maximum) / 2

    @property
    def top_values(self) -> list[int]:
        """Values above the midpoint: the answers that count towards "strong"."""
        return [v for v in self.values if v > self.midpoint]

    @property
    def bottom_values(self) -> list[int]:
        """Values below the midpoint: the answers that count towards "weak"."""
        return [v for v in self.values if v < self.midpoint]

    def label_for(self, value: int | None) -> str:
        """Return the label for a value, or "Don't know" for ``None``.

        Raises
        ------
        AssuredKitError
            If the value is not on the scale.
        """
        if value is None or value is pd.NA:
            return DONT_KNOW_LABEL
        for v, label in zip(self.values, self.labels, strict=True):
            if v == value:
                return label
        raise AssuredKitError(
            f"{value!r} is not a level of the {self.title} scale",
            allowed=self.describe_allowed(),
        )

    def describe_allowed(self) -> str:
        """Return the accepted answers as one readable line."""
        levels = ", ".join(
            f"{v} ({label})" for v, label in zip(self.values, self.labels, strict=True)
        )
        return f"{levels}, or {DONT_KNOW_LABEL}"

    def parse(
        self,
        answer: object,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> int | None:
        """Read one answer as spreadsheets and forms write it.

        Accepts the value (``4`` or ``"4"`` or ``4.0``), the value and label
        (``"4 - Mostly confident"``), or the label alone, ignoring case and stray spaces.

        Parameters
        ----------
        answer : object
            The cell's content.
        file, row, field : optional
            Where the answer came from, for the error message.

        Returns
        -------
        int or None
            The value, or ``None`` for "Don't know".

        Raises
        ------
        AssuredKitError
            If the answer is blank or matches no level.
        """
        where = {"file": file, "row": row, "field": field}
        if isinstance(answer, bool):
            raise AssuredKitError(
                f"{answer!r} is not an answer", allowed=self.describe_allowed(), **where
            )
        if isinstance(answer, int | float) and not pd.isna(answer):
            if float(answer).is_integer() and int(answer) in self.values:
                return int(answer)
            raise AssuredKitError(
                f"{answer!r} is outside the {self.title} scale",
                allowed=self.describe_allowed(),
                hint="a value from another scale, or a typing slip",
                **where,
            )
        text = (
            ""
            if answer is None or (not isinstance(answer, str) and pd.isna(answer))
            else str(answer)
        )
        folded = fold(text)
        if not folded:
            raise AssuredKitError("the answer is blank", allowed=self.describe_allowed(), **where)
        if folded in _DONT_KNOW_SPELLINGS:
            return None
        by_label = {fold(label): v for v, label in zip(self.values, self.labels, strict=True)}
        if folded in by_label:
            return by_label[folded]
        match = _LEADING_NUMBER.match(folded)
        if match:
            number_text, rest = match.groups()
            number = int(number_text)
            if number in self.values and (not rest or by_label.get(fold(rest)) == number):
                return number
            if number in self.values:
                hint = f"the number says {self.label_for(number)!r} but the words say {rest!r}"
            else:
                hint = "a value from another scale, or a typing slip"
            raise AssuredKitError(
                f"{text!r} is not an answer on the {self.title} scale",
                allowed=self.describe_allowed(),
                hint=hint,
                **where,
            )
        raise AssuredKitError(
            f"{text!r} is not an answer on the {self.title} scale",
            allowed=self.describe_allowed(),
            hint="a misspelt label, or an answer from another scale",
            **where,
        )


_SCALE_COLUMNS = ["scale_id", "scale_title", "value", "label", "description"]


def scales_from_table(table: pd.DataFrame, *, file: str | Path = "scales.csv") -> dict[str, Scale]:
    """Build and validate scales from a table laid out like ``scales.csv``.

    ``table`` holds text cells (as read with ``dtype=str``); rows are numbered for messages as a
    spreadsheet shows them (header = row 1).

    Raises
    ------
    AssuredKitError
        On a missing column, a value that is not a whole number, duplicate values or labels,
        a gap in the values, an empty label, or a scale with fewer than two levels.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"scale_id": ["yn", "yn"], "scale_title": ["Yes/no"] * 2,
    ...                   "value": ["0", "1"], "label": ["No", "Yes"], "description": ["", ""]})
    >>> scales_from_table(t)["yn"].labels
    ['No', 'Yes']
    """
    missing = [c for c in _SCALE_COLUMNS if c not in table.columns]
    if missing:
        raise AssuredKitError(
            f"missing column(s) {', '.join(missing)}",
            file=file,
            row=1,
            allowed="columns " + ", ".join(_SCALE_COLUMNS),
            hint="a renamed or misspelt header",
        )
    scales: dict[str, Scale] = {}
    rows = table.assign(row_number=range(2, len(table) + 2))
    for scale_id, group in rows.groupby("scale_id", sort=False):
        values: list[int] = []
        seen_labels: dict[str, int] = {}
        for rec in group.itertuples(index=False):
            where = {"file": file, "row": rec.row_number}
            if not str(scale_id).strip() or str(scale_id) != str(scale_id).strip():
                raise AssuredKitError(
                    f"scale id {scale_id!r} is empty or has stray spaces",
                    field="scale_id",
                    allowed="a short name such as confidence",
                    **where,
                )
            raw_value = str(rec.value).strip()
            if not re.fullmatch(r"-?\d+", raw_value):
                raise AssuredKitError(
                    f"value {rec.value!r} is not a whole number",
                    field="value",
                    allowed="whole numbers such as 1, 2, 3",
                    hint="a label typed in the value column, or a decimal",
                    **where,
                )
            value = int(raw_value)
            if value in values:
                raise AssuredKitError(
                    f"value {value} appears twice in scale {scale_id!r}",
                    field="value",
                    allowed="each value once",
                    hint="a copied row",
                    **where,
                )
            label = str(rec.label).strip()
            if not label:
                raise AssuredKitError(
                    f"level {value} of scale {scale_id!r} has no label",
                    field="label",
                    allowed="a short label such as 'Mostly confident'",
                    **where,
                )
            if fold(label) in seen_labels or fold(label) in _DONT_KNOW_SPELLINGS:
                raise AssuredKitError(
                    f"label {label!r} is used twice in scale {scale_id!r}"
                    if fold(label) in seen_labels
                    else f"label {label!r} is reserved: Don't know is its own answer, not a level",
                    field="label",
                    allowed="distinct labels, none of them Don't know",
                    **where,
                )
            seen_labels[fold(label)] = value
            values.append(value)
        if len(values) < 2:
            raise AssuredKitError(
                f"scale {scale_id!r} has {len(values)} level; a scale needs at least two",
                file=file,
                field="value",
            )
        ordered = sorted(values)
        if ordered != list(range(ordered[0], ordered[0] + len(ordered))):
            gap = next(v + 1 for v, w in pairwise(ordered) if w != v + 1)
            raise AssuredKitError(
                f"scale {scale_id!r} has a gap: no level {gap}",
                file=file,
                field="value",
                allowed="consecutive whole numbers, e.g. 1, 2, 3, 4, 5",
                hint="a deleted row or a mistyped value",
            )
        if values != ordered:
            raise AssuredKitError(
                f"the levels of scale {scale_id!r} are not in order ({values})",
                file=file,
                field="value",
                allowed="rows from the lowest value to the highest",
            )
        levels = pd.DataFrame(
            {
                "value": pd.array(values, dtype="Int64"),
                "label": [str(x).strip() for x in group["label"]],
                "description": [str(x).strip() for x in group["description"]],
            }
        )
        title = str(group["scale_title"].iloc[0]).strip() or str(scale_id)
        scales[str(scale_id)] = Scale(scale_id=str(scale_id), title=title, levels=levels)
    return scales
