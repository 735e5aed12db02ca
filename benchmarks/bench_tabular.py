"""Benchmark reading people's tables: the kit's reader against pandas, and hostile sheets.

Run ``.venv/bin/python benchmarks/bench_tabular.py`` (``--help`` for sizes). It writes one
synthetic workshop (not timed), exports it as CSV and XLSX, then prints, measured alternately
in this run (median of ``--repeat`` runs):

- reading each export's table with the kit's reader (`assured_kit.tabular.read_grid`, every
  value as typed, within limits) against pandas reading the same file as text
  (``read_csv(dtype=str, keep_default_na=False)``, ``read_excel(dtype=object)``), and the whole
  ``read_ratings`` (reading, then parsing and typing every column) for scale;
- importing a filled rating sheet against refusing the same sheet with one stray value in
  ``H1048576`` (before: about 4 minutes and 4 GB).

Times are CPU seconds of this process (steadier than wall-clock time on a shared machine);
absolute figures depend on the machine: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd

from assured_kit.errors import AssuredKitError
from assured_kit.ratings import EXPORT_LIMITS, read_ratings
from assured_kit.sheets import write_rating_sheet
from assured_kit.store import Workshop
from assured_kit.tabular import read_grid


def _median(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times)


def _alternate(ours: Callable[[], object], base: Callable[[], object], repeat: int
               ) -> tuple[float, float]:
    mine, theirs = [], []
    for _ in range(repeat):
        mine.append(_median(ours, 1))
        theirs.append(_median(base, 1))
    return statistics.median(mine), statistics.median(theirs)


def _workshop(folder: Path, respondents: int) -> Path:
    rng = random.Random(0)
    path = folder / "bench.workshop.sqlite"
    with Workshop.create(path, title="Benchmark", synthetic=True) as ws:
        questions = ws.questions()["question_id"].tolist()
        with ws.batch():
            for n in range(respondents):
                rid = ws.add_respondent(f"Person {n}", role=rng.choice(["DCS", "LM"]))
                for question in questions:
                    for round_ in (1, 2):
                        ws.record(rid, question, rng.randint(1, 5), round=round_,
                                  note=rng.choice([None, "NA", "a note", "=1+1"]))
    return path


def _sheet(ws: Workshop, path: Path, stray: bool) -> Path:
    write_rating_sheet(path, workshop=ws)
    book = openpyxl.load_workbook(path)
    sheet = book["Rating sheet"]
    for row in sheet.iter_rows():
        if row[0].value == "Respondent":
            row[1].value = f"Pat {path.stem}"
        if row[0].value == "Role":
            row[1].value = "DCS"
        if str(row[0].value).startswith(("LA-", "PM-")):
            row[5].value = 3
    if stray:
        sheet["H1048576"] = "oops"
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = _workshop(folder, args.respondents)
        with Workshop.open(source) as ws:
            answers = len(ws.ratings())
            csv_path = ws.export(folder / "answers.csv")
            xlsx_path = ws.export(folder / "answers.xlsx")
        print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")
        print(f"{answers} answers, {args.respondents} respondents")
        for name, path, sheets, base in (
            ("CSV", csv_path, None,
             lambda: pd.read_csv(csv_path, dtype=str, keep_default_na=False)),
            ("XLSX", xlsx_path, ("Answers",),
             lambda: pd.read_excel(xlsx_path, sheet_name="Answers", dtype=object)),
        ):
            def ours(p=path, s=sheets) -> object:
                return read_grid(p, is_header=any, what="an export", limits=EXPORT_LIMITS,
                                 sheets=s, first_row_only=True)

            mine, theirs = _alternate(ours, base, args.repeat)
            whole = _median(lambda p=path: read_ratings(p), args.repeat)
            print(f"{name}: reading the table {mine:.3f} s, pandas {theirs:.3f} s, ratio "
                  f"{mine / theirs:.2f}; the whole read_ratings {whole:.3f} s")

        sheets = folder / "sheets.workshop.sqlite"
        with Workshop.create(sheets, title="Sheets") as ws:
            plain = [_sheet(ws, folder / f"plain{i}.xlsx", False) for i in range(args.repeat)]
            stray = _sheet(ws, folder / "stray.xlsx", True)
            imported = iter(plain)

            def refuse() -> None:
                try:
                    ws.import_rating_sheet(stray)
                except AssuredKitError:
                    return
                raise AssertionError("the stray value was not refused")

            good, bad = _alternate(lambda: ws.import_rating_sheet(next(imported)), refuse,
                                   args.repeat)
            print(f"rating sheet: import {good:.3f} s; refusing a stray value in H1048576 "
                  f"{bad:.3f} s; ratio {bad / good:.2f}")


if __name__ == "__main__":
    main()
