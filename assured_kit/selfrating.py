"""Rate yourself privately: one person's answers, held in memory, and their profile by theme.

`SelfRating` keeps a person's answers in memory only. Nothing is written anywhere until the
person calls `SelfRating.save` (or presses "Save to file..." in `SelfRatingApp`) with a path
they typed; an existing file is never replaced.

`SelfRatingApp` is the widget behind ``notebooks/self_rating.ipynb``: one question at a time or
a whole theme on one page, a button per scale level plus "Don't know", an optional evidence level
("How do I know?") and note, the person's own profile by theme, and the explicit save.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import AssuredKitError
from .glossary import help_html
from .scales import DONT_KNOW_LABEL, Scale

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .framework import Framework

__all__ = ["SelfAnswer", "SelfRating", "SelfRatingApp", "self_rating_app"]

_SAVE_SUFFIXES = (".csv", ".xlsx", ".workshop.sqlite")


@dataclass(frozen=True)
class SelfAnswer:
    """One answer: a rating on the scale, or "Don't know", with optional evidence and note."""

    rating: int | None
    dont_know: bool
    evidence: int | None = None
    note: str = ""
    recorded_at: pd.Timestamp | None = None


class SelfRating:
    """One person's private self-rating, held in memory.

    Parameters
    ----------
    role : {"DCS", "LM"}
        Whose questions to ask: the Director of Children's Services or the Lead Member.
    scale : str or Scale
        The rating scale (default ``"confidence"``).
    themes : sequence of str, optional
        Theme ids in scope (default: all six, in framework order).
    label : str
        How the person appears in their own profile and in a saved file (default ``"Me"``).
    authority : str, optional
        Their authority, kept only in what they save.
    framework : Framework, optional
        The framework edition (default: the bundled 2010 edition).

    Examples
    --------
    >>> sr = SelfRating(role="LM")
    >>> sr.answer("LA-LM-1", 4, evidence=2)
    >>> sr.answer("LA-LM-2", dont_know=True)
    >>> sr.progress()
    (2, 23)
    >>> table = sr.ratings()
    >>> table["question_id"].tolist(), table["dont_know"].tolist()
    (['LA-LM-1', 'LA-LM-2'], [False, True])
    """

    def __init__(
        self,
        *,
        role: str = "DCS",
        scale: str | Scale = "confidence",
        themes: list[str] | tuple[str, ...] | None = None,
        label: str = "Me",
        authority: str | None = None,
        framework: Framework | None = None,
    ) -> None:
        from .framework import get_scale, load_framework

        self.framework = framework if framework is not None else load_framework()
        if role not in ("DCS", "LM"):
            raise AssuredKitError(
                f"unknown role {role!r} for a self-rating",
                field="role",
                allowed="DCS (Director of Children's Services) or LM (Lead Member)",
                hint="the framework's questions are written for these two roles",
            )
        self.role = role
        self.scale = scale if isinstance(scale, Scale) else get_scale(scale, self.framework.source)
        self.evidence_scale = self.framework.scales["evidence"]
        known = self.framework.theme_ids
        chosen = list(known if themes is None else themes)
        unknown = [t for t in chosen if t not in known]
        if unknown or not chosen:
            raise AssuredKitError(
                f"unknown theme(s) {', '.join(map(repr, unknown)) or '(none chosen)'}",
                field="themes",
                allowed=", ".join(known),
            )
        self.themes = [t for t in known if t in chosen]
        label = str(label).strip()
        if not label:
            raise AssuredKitError("the label is empty", field="label", allowed="any short name")
        self.label = label
        self.authority = authority
        questions = self.framework.questions
        self._questions = questions[
            (questions["role"] == role) & questions["theme_id"].isin(self.themes)
        ].reset_index(drop=True)
        self._answers: dict[str, SelfAnswer] = {}

    # ------------------------------------------------------------------ questions and answers

    def questions(self) -> pd.DataFrame:
        """Return the questions in scope, in framework order."""
        return self._questions.copy()

    @property
    def question_ids(self) -> list[str]:
        """Question ids in scope, in framework order."""
        return [str(q) for q in self._questions["question_id"]]

    def _check_question(self, question_id: str) -> None:
        if question_id not in self.question_ids:
            raise AssuredKitError(
                f"question {question_id!r} is not in this self-rating",
                field="question_id",
                allowed=f"{self.role} questions of themes {', '.join(self.themes)}",
                hint="a question for the other role, or a theme left out",
            )

    def answer(
        self,
        question_id: str,
        rating: int | str | None = None,
        *,
        dont_know: bool = False,
        evidence: int | str | None = None,
        note: str | None = None,
    ) -> None:
        """Keep (or replace) the answer to one question, in memory.

        Parameters
        ----------
        question_id : str
            A question in scope, e.g. ``"LA-DCS-1"``.
        rating : int or str, optional
            A level of the scale (``4``, ``"4"``, ``"Mostly confident"``).
        dont_know : bool
            "Don't know" instead of a rating: exactly one of the two.
        evidence : int or str, optional
            A level of the evidence scale (0-3), or None.
        note : str, optional
            A short private note (at most 2000 characters).

        Raises
        ------
        AssuredKitError
            An unknown question, a value off the scale, both or neither of rating and Don't know.
        """
        self._check_question(question_id)
        if dont_know and rating is not None:
            raise AssuredKitError(
                "both a rating and Don't know were given",
                field="rating",
                allowed="either a rating or Don't know",
            )
        if not dont_know:
            if rating is None:
                raise AssuredKitError(
                    "no rating given",
                    field="rating",
                    allowed=self.scale.describe_allowed(),
                    hint="use dont_know=True for Don't know",
                )
            value = self.scale.parse(rating, field="rating")
            if value is None:  # "Don't know" typed as the rating
                dont_know = True
        else:
            value = None
        evidence_value = None
        if evidence is not None and evidence != "":
            evidence_value = self.evidence_scale.parse(evidence, field="evidence")
        text = "" if note is None else str(note)
        if len(text) > 2000:
            raise AssuredKitError(
                f"the note has {len(text)} characters",
                field="note",
                allowed="at most 2000 characters",
            )
        self._answers[question_id] = SelfAnswer(
            rating=value,
            dont_know=dont_know,
            evidence=evidence_value,
            note=text,
            recorded_at=pd.Timestamp.now(tz="UTC"),
        )

    def set_evidence(self, question_id: str, evidence: int | str | None) -> None:
        """Change the evidence level of an answer already given."""
        self._amend(question_id, "evidence", "adding evidence", evidence=evidence)

    def set_note(self, question_id: str, note: str) -> None:
        """Change the note of an answer already given."""
        self._amend(question_id, "note", "adding a note", note=note)

    def _amend(self, question_id: str, field: str, doing: str, **change: Any) -> None:
        """Give an answer again with one part (``evidence`` or ``note``) changed."""
        current = self.get(question_id)
        if current is None:
            raise AssuredKitError(
                f"question {question_id!r} has no answer yet",
                field=field,
                hint=f"rate the question (or choose Don't know) before {doing}",
            )
        kept = {"evidence": current.evidence, "note": current.note}
        self.answer(
            question_id,
            None if current.dont_know else current.rating,
            dont_know=current.dont_know,
            **{**kept, **change},
        )

    def clear(self, question_id: str) -> None:
        """Forget the answer to one question."""
        self._check_question(question_id)
        self._answers.pop(question_id, None)

    def get(self, question_id: str) -> SelfAnswer | None:
        """Return the answer to a question, or None if not answered."""
        self._check_question(question_id)
        return self._answers.get(question_id)

    def progress(self) -> tuple[int, int]:
        """Return (questions answered, questions in scope)."""
        return len(self._answers), len(self._questions)

    def describe(self, question_id: str) -> str:
        """Return the answer to a question as words, e.g. ``"4 Mostly confident"``."""
        current = self.get(question_id)
        if current is None:
            return "not answered"
        if current.dont_know:
            return DONT_KNOW_LABEL
        return f"{current.rating} {self.scale.label_for(current.rating)}"

    # ------------------------------------------------------------------ results

    def ratings(self) -> pd.DataFrame:
        """Return the answers as the kit's tidy ratings table (one respondent, round 1).

        The table has the same columns and dtypes as `Workshop.ratings`, so every summary and
        chart of the kit works on it.
        """
        from .tidy import TIDY_COLUMNS

        qs = self._questions.set_index("question_id")
        ids = [q for q in self.question_ids if q in self._answers]
        answers = [self._answers[q] for q in ids]
        n = len(ids)
        theme_order = list(self.framework.themes["theme_id"].cat.categories)
        frame = pd.DataFrame(
            {
                "workshop_id": ["self-rating"] * n,
                "workshop_title": ["Self-rating"] * n,
                "held_on": pd.Series([pd.Timestamp(dt.date.today())] * n, dtype="datetime64[us]"),
                "synthetic": pd.Series([False] * n, dtype=bool),
                "scale": [self.scale.scale_id] * n,
                "authority": pd.Series([self.authority] * n, dtype="str"),
                "respondent_id": ["self"] * n,
                "respondent_label": [self.label] * n,
                "role": pd.Categorical(
                    [self.role] * n, categories=["DCS", "LM", "Officer", "Mixed"]
                ),
                "respondent_kind": ["person"] * n,
                "question_id": ids,
                "question_role": pd.Categorical(
                    [str(qs.loc[q, "role"]) for q in ids], categories=["DCS", "LM"]
                ),
                "theme_id": pd.Categorical(
                    [str(qs.loc[q, "theme_id"]) for q in ids],
                    categories=theme_order,
                    ordered=True,
                ),
                "round": pd.array([1] * n, dtype="Int64"),
                "rating": pd.array([a.rating for a in answers], dtype="Int64"),
                "dont_know": pd.Series([a.dont_know for a in answers], dtype=bool),
                "evidence": pd.array([a.evidence for a in answers], dtype="Int64"),
                "note": [a.note for a in answers],
                "proxy": pd.Series([False] * n, dtype=bool),
                "author": ["self"] * n,
                "recorded_at": pd.Series(
                    [a.recorded_at for a in answers], dtype="datetime64[us, UTC]"
                ),
            }
        )
        return frame[list(TIDY_COLUMNS)]

    def profile(self, ax: Axes | None = None) -> Axes:
        """Draw this person's profile by theme (`charts.theme_profile`) and return the Axes."""
        from . import charts

        return charts.theme_profile(
            self.ratings(), ax=ax, scale=self.scale, min_group=1, title=f"{self.label}: by theme"
        )

    def save(self, path: str | Path) -> Path:
        """Write the answers to a file the person chose; never replaces an existing file.

        Parameters
        ----------
        path : str or path-like
            ``.csv`` (the tidy answers), ``.xlsx`` (the tidy answers on a sheet "Answers") or
            ``.workshop.sqlite`` (a one-person workshop file). Text is neutralised against
            spreadsheet formulas in CSV and XLSX. Each can be read back with `read_ratings`.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        AssuredKitError
            An empty path, another suffix, an existing file, or a folder that does not exist.
        """
        text = str(path).strip()
        if not text:
            raise AssuredKitError(
                "no file name given",
                field="path",
                allowed="a path ending " + ", ".join(_SAVE_SUFFIXES),
            )
        target = Path(text).expanduser()
        name = target.name.lower()
        if not name.endswith(_SAVE_SUFFIXES):
            raise AssuredKitError(
                f"cannot save as {target.name!r}",
                file=target,
                allowed="a name ending " + ", ".join(_SAVE_SUFFIXES),
                hint="a missing or misspelt suffix",
            )
        if target.exists():
            raise AssuredKitError(
                "a file of that name already exists and is never replaced",
                file=target,
                allowed="a new file name",
                hint="choose another name, or move the old file first",
            )
        if not target.parent.is_dir():
            raise AssuredKitError(
                f"the folder {str(target.parent)!r} does not exist",
                file=target,
                allowed="a path in an existing folder",
            )
        if name.endswith(".workshop.sqlite"):
            self._save_workshop(target)
        elif name.endswith(".csv"):
            from .exports import write_tidy_csv

            write_tidy_csv(self.ratings(), target)
        else:
            from .exports import write_workbook

            write_workbook(target, {"Answers": self.ratings()})
        return target

    def _save_workshop(self, target: Path) -> None:
        from .store import Workshop

        ws = Workshop.create(
            target,
            title=f"Self-rating: {self.label}",
            held_on=dt.date.today(),
            scale=self.scale.scale_id,
            themes=self.themes,
            roles=(self.role,),
            min_group=1,
            anonymity="named",
            framework=self.framework,
        )
        try:
            authority = self.authority if self.authority in ws.details["authorities"] else None
            with ws.batch():
                rid = ws.add_respondent(
                    self.label, role=self.role, authority=authority, author="self"
                )
                for qid in self.question_ids:
                    a = self._answers.get(qid)
                    if a is None:
                        continue
                    ws.record(
                        rid,
                        qid,
                        None if a.dont_know else a.rating,
                        dont_know=a.dont_know,
                        evidence=a.evidence,
                        note=a.note or None,
                        author="self",
                    )
        finally:
            ws.close()


# ---------------------------------------------------------------------------- the widget


class SelfRatingApp:
    """The self-rating widget: rate privately, see your profile, save only when you choose.

    Parameters
    ----------
    model : SelfRating, optional
        The answers to work on (default: a new DCS self-rating).
    mode : {"question", "theme"}
        One question at a time, or a whole theme on one page.

    Attributes
    ----------
    widget : ipywidgets.VBox
        Display this in a notebook.

    Examples
    --------
    >>> app = SelfRatingApp(SelfRating(role="DCS"))
    >>> app.level_buttons[3].click()          # "4 Mostly confident" on the first question
    >>> app.model.describe("LA-DCS-1")
    '4 Mostly confident'
    """

    def __init__(self, model: SelfRating | None = None, *, mode: str = "question") -> None:
        import ipywidgets as w

        self.model = model if model is not None else SelfRating()
        if mode not in ("question", "theme"):
            raise AssuredKitError(
                f"unknown mode {mode!r}", field="mode", allowed="question or theme"
            )
        self.position = 0
        big = w.Layout(width="auto")
        self.heading = w.HTML()
        self.question_text = w.HTML()
        #: Glossary terms and editorial notes for the question shown (`assured_kit.glossary`).
        self.help = w.HTML()
        self.level_buttons = [
            w.Button(
                description=f"{v} {label}",
                tooltip=f"Rate {v}: {label}",
                layout=w.Layout(min_width="9em", height="3em"),
            )
            for v, label in zip(self.model.scale.values, self.model.scale.labels, strict=True)
        ]
        self.dont_know_button = w.Button(
            description=DONT_KNOW_LABEL, tooltip="Don't know", layout=w.Layout(height="3em")
        )
        for value, button in zip(self.model.scale.values, self.level_buttons, strict=True):
            button.on_click(lambda _b, v=value: self._rate(v))
        self.dont_know_button.on_click(lambda _b: self._rate(None))
        ev = self.model.evidence_scale
        self.evidence = w.Dropdown(
            options=[("How do I know? (optional)", None)]
            + [(f"{v} {label}", v) for v, label in zip(ev.values, ev.labels, strict=True)],
            value=None,
            description="Evidence",
            layout=w.Layout(width="32em"),
        )
        self.evidence.observe(self._on_evidence, names="value")
        self.note = w.Textarea(
            placeholder="A private note (optional)", layout=w.Layout(width="40em")
        )
        self.note.observe(self._on_note, names="value")
        self.status = w.HTML()
        self.previous_button = w.Button(description="< Previous", layout=big)
        self.next_button = w.Button(description="Next >", layout=big)
        self.previous_button.on_click(lambda _b: self.go(self.position - 1))
        self.next_button.on_click(lambda _b: self.go(self.position + 1))
        self.theme_picker = w.Dropdown(
            options=[(self.model.framework.theme_title(t), t) for t in self.model.themes],
            description="Theme",
            layout=w.Layout(width="28em"),
        )
        self.theme_picker.observe(self._on_theme, names="value")
        self.mode_picker = w.ToggleButtons(
            options=[("One question at a time", "question"), ("Whole theme", "theme")], value=mode
        )
        self.mode_picker.observe(lambda _c: self._render(), names="value")
        self.question_box = w.VBox(
            [
                self.heading,
                self.question_text,
                self.help,
                w.HBox(
                    [*self.level_buttons, self.dont_know_button],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.evidence,
                self.note,
                w.HBox([self.previous_button, self.next_button]),
            ]
        )
        self.theme_box = w.VBox()
        self.theme_rows: dict[str, Any] = {}
        self.profile_button = w.Button(description="Show my profile", button_style="info")
        self.profile_button.on_click(lambda _b: self.show_profile())
        self.profile_output = w.Output()
        self.save_path = w.Text(
            placeholder="e.g. my-self-rating.csv (.csv, .xlsx or .workshop.sqlite)",
            description="File",
            layout=w.Layout(width="36em"),
        )
        self.save_button = w.Button(
            description="Save to file...", tooltip="Write my answers to this file"
        )
        self.save_button.on_click(lambda _b: self.save())
        self.save_status = w.HTML(
            "<i>Your answers stay in this notebook's memory. Nothing is saved unless you type a "
            "file name and press Save.</i>"
        )
        self.body = w.VBox()
        self.widget = w.VBox(
            [
                w.HBox([self.mode_picker, self.theme_picker]),
                self.status,
                self.body,
                w.HBox([self.profile_button]),
                self.profile_output,
                w.HBox([self.save_path, self.save_button]),
                self.save_status,
            ]
        )
        self._syncing = False
        self._render()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ navigation

    @property
    def current_question(self) -> str:
        """The id of the question shown in one-question mode."""
        return self.model.question_ids[self.position]

    def go(self, position: int) -> None:
        """Show the question at ``position`` (clamped to the first and last)."""
        self.position = max(0, min(position, len(self.model.question_ids) - 1))
        theme = str(self.model.questions().loc[self.position, "theme_id"])
        if self.theme_picker.value != theme:
            self._syncing = True
            try:
                self.theme_picker.value = theme
            finally:
                self._syncing = False
        self._render()

    def _on_theme(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        qs = self.model.questions()
        first = qs.index[qs["theme_id"] == change["new"]]
        if len(first):
            self.position = int(first[0])
        self._render()

    # ------------------------------------------------------------------ answering

    def _rate(self, value: int | None, question_id: str | None = None) -> None:
        qid = question_id or self.current_question
        previous = self.model.get(qid)
        self.model.answer(
            qid,
            value,
            dont_know=value is None,
            evidence=previous.evidence if previous else None,
            note=previous.note if previous else None,
        )
        self._render()

    def _on_evidence(self, change: dict[str, Any]) -> None:
        if self._syncing or self.model.get(self.current_question) is None:
            return
        self.model.set_evidence(self.current_question, change["new"])
        self._render()

    def _on_note(self, change: dict[str, Any]) -> None:
        if self._syncing or self.model.get(self.current_question) is None:
            return
        try:
            self.model.set_note(self.current_question, change["new"])
        except AssuredKitError as exc:
            from .safety import escape_html

            self.status.value = f"<b>{escape_html(str(exc))}</b>"

    # ------------------------------------------------------------------ drawing

    def _render(self) -> None:
        from .safety import escape_html

        done, total = self.model.progress()
        self.status.value = f"<b>{done} of {total}</b> questions answered"
        if self.mode_picker.value == "theme":
            self._render_theme()
            self.body.children = (self.theme_box,)
            return
        qs = self.model.questions()
        row = qs.loc[self.position]
        theme = str(row["theme_id"])
        in_theme = qs[qs["theme_id"] == theme]
        place = list(in_theme["question_id"]).index(row["question_id"]) + 1
        self.heading.value = (
            f"<div style='font-size:1.1em'>{escape_html(self.model.framework.theme_title(theme))}"
            f" &middot; {escape_html(self.model.role)} {place} of {len(in_theme)}"
            f" &middot; {self.position + 1} of {total}</div>"
        )
        self.question_text.value = (
            f"<div style='font-size:1.5em;line-height:1.35;max-width:48em'>"
            f"{escape_html(row['text'])}</div>"
        )
        self.help.value = help_html(self.model.framework, self.current_question)
        answer = self.model.get(self.current_question)
        for value, button in zip(self.model.scale.values, self.level_buttons, strict=True):
            chosen = answer is not None and not answer.dont_know and answer.rating == value
            button.button_style = "primary" if chosen else ""
            button.icon = "check" if chosen else ""
        dk = answer is not None and answer.dont_know
        self.dont_know_button.button_style = "primary" if dk else ""
        self.dont_know_button.icon = "check" if dk else ""
        self._syncing = True
        try:
            self.evidence.value = answer.evidence if answer else None
            self.note.value = answer.note if answer else ""
        finally:
            self._syncing = False
        self.evidence.disabled = answer is None
        self.note.disabled = answer is None
        self.previous_button.disabled = self.position == 0
        self.next_button.disabled = self.position == total - 1
        self.body.children = (self.question_box,)

    def _render_theme(self) -> None:
        import ipywidgets as w

        from .safety import escape_html

        theme = self.theme_picker.value
        rows = []
        for rec in self.model.questions().itertuples(index=False):
            if rec.theme_id != theme:
                continue
            qid = str(rec.question_id)
            answer = self.model.get(qid)
            buttons = []
            for value, label in zip(self.model.scale.values, self.model.scale.labels, strict=True):
                chosen = answer is not None and not answer.dont_know and answer.rating == value
                b = w.Button(
                    description=str(value),
                    tooltip=f"{value} {label}",
                    button_style="primary" if chosen else "",
                    icon="check" if chosen else "",
                    layout=w.Layout(width="4em"),
                )
                b.on_click(lambda _b, v=value, q=qid: self._rate(v, q))
                buttons.append(b)
            dk = answer is not None and answer.dont_know
            b = w.Button(
                description=DONT_KNOW_LABEL,
                button_style="primary" if dk else "",
                icon="check" if dk else "",
            )
            b.on_click(lambda _b, q=qid: self._rate(None, q))
            buttons.append(b)
            self.theme_rows[qid] = buttons
            rows.append(
                w.VBox(
                    [
                        w.HTML(
                            f"<b>{escape_html(qid)}</b> {escape_html(rec.text)} "
                            f"<i>({escape_html(self.model.describe(qid))})</i>"
                            f"{help_html(self.model.framework, qid)}"
                        ),
                        w.HBox(buttons),
                    ]
                )
            )
        legend = ", ".join(
            f"{v} {label}"
            for v, label in zip(self.model.scale.values, self.model.scale.labels, strict=True)
        )
        self.theme_box.children = (w.HTML(f"<i>{escape_html(legend)}</i>"), *rows)

    def show_profile(self) -> Axes | None:
        """Draw the person's profile by theme into the app; return its Axes (None if empty)."""
        from matplotlib.figure import Figure

        from .analysis import figure_output, html_output

        if not self.model.progress()[0]:
            self.profile_output.outputs = (
                html_output("<i>Answer at least one question to see your profile.</i>"),
            )
            return None
        fig = Figure(figsize=(13, 8), layout="constrained")
        ax = fig.add_subplot()
        self.model.profile(ax=ax)
        self.profile_output.outputs = (figure_output(fig, "my profile by theme"),)
        return ax

    def save(self) -> Path | None:
        """Save to the path typed in the box (the only way the app writes anything)."""
        from .safety import escape_html

        try:
            written = self.model.save(self.save_path.value)
        except AssuredKitError as exc:
            self.save_status.value = f"<b>Not saved:</b> {escape_html(str(exc))}"
            return None
        self.save_status.value = f"Saved to <code>{escape_html(str(written))}</code>."
        return written


def self_rating_app(
    role: str = "DCS", *, scale: str = "confidence", mode: str = "question", label: str = "Me"
) -> SelfRatingApp:
    """Build the self-rating app for the notebook (it displays itself as its widget).

    Examples
    --------
    >>> app = self_rating_app("LM")
    >>> app.model.progress()
    (0, 23)
    """
    return SelfRatingApp(SelfRating(role=role, scale=scale, label=label), mode=mode)
