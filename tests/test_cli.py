"""The ``assured-kit`` command, run for real in a subprocess."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assured_kit import load_framework
from assured_kit import summary as sm
from assured_kit.ratings import read_ratings
from assured_kit.store import Workshop

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("demo", "report", "summary", "export", "sheet", "import-sheet", "live")

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "-m", "assured_kit.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "demo"
    done = run("demo", folder, "--seed", "3", cwd=folder.parent)
    assert done.returncode == 0, done.stderr
    assert "synthetic workshop files" in done.stdout
    return folder


def test_help_explains_every_command(tmp_path):
    done = run("--help", cwd=tmp_path)
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout
    for command in COMMANDS:
        sub = run(command, "--help", cwd=tmp_path)
        assert sub.returncode == 0, command
        assert sub.stdout.startswith(f"usage: assured-kit {command}")
    report_help = run("report", "--help", cwd=tmp_path).stdout
    assert "--authority" in report_help and "--min-group" in report_help
    assert "anonymised" in report_help


def test_demo_writes_synthetic_workshops(demo):
    files = sorted(demo.glob("*.workshop.sqlite"))
    assert len(files) >= 2
    ratings = read_ratings(demo)
    assert ratings["synthetic"].all()
    assert ratings["workshop_id"].nunique() == len(files)


def test_report_html_and_xlsx(demo, tmp_path):
    done = run(
        "report", demo, "-o", tmp_path / "region.html", "--marking", "OFFICIAL", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "region.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in text and "Regional report" in text
    # The protective marking given, in the printed margins and at the top of the page.
    assert '@top-right { content: "OFFICIAL"' in text and "<p class='marking'>OFFICIAL</p>" in text
    assert "Sensitive" not in text
    done = run("report", demo, "-o", tmp_path / "t.xlsx", "--min-group", "4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert {"Read me", "Themes", "Questions", "Actions"} <= set(book.sheetnames)
    read_me = "\n".join(str(c.value) for row in book["Read me"].iter_rows() for c in row)
    assert "fewer than 4 people" in read_me


def test_authority_report_names_only_that_authority(demo, tmp_path):
    ratings = read_ratings(demo)
    own = ratings["authority"].value_counts().index[0]
    out = tmp_path / "own.xlsx"
    done = run("report", demo, "-o", out, "--authority", own, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = "\n".join(
        str(c.value)
        for sheet in openpyxl.load_workbook(out).worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None
    )
    assert own in text
    for other in load_framework().authorities:
        if other != own:
            assert not re.search(rf"(?<!\w){re.escape(other)}(?!\w)", text, re.I), other


def test_summary_prints_the_theme_table(demo, tmp_path):
    done = run("summary", demo, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["Theme", "n"]
    titles = list(load_framework().themes["title"])
    assert [line.split("  ")[0] for line in lines[1:]] == titles
    by_question = run("summary", demo, "--by", "question", "--min-group", "1000", cwd=tmp_path)
    assert by_question.returncode == 0
    assert "suppressed (protects groups under 1000 people)" in by_question.stdout


def test_export_csv_and_xlsx(demo, tmp_path):
    workshop = sorted(demo.glob("*.workshop.sqlite"))[0]
    for name in ("answers.csv", "all.xlsx"):
        done = run("export", workshop, "-o", tmp_path / name, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    again = read_ratings(tmp_path / "answers.csv")
    assert len(again) == len(read_ratings(workshop))
    assert "Answers" in openpyxl.load_workbook(tmp_path / "all.xlsx").sheetnames


def test_sheet_then_import_sheet(tmp_path):
    path = tmp_path / "room.workshop.sqlite"
    Workshop.create(path, title="Room", themes=["LA"]).close()
    done = run("sheet", "-o", tmp_path / "sheet.csv", "--workshop", path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "sheet.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = next(i for i, r in enumerate(rows) if r[:1] == ["question_id"])
    rating = rows[header].index("rating")
    rows[header + 1][rating] = "4 - Mostly confident"
    rows[header + 2][rating] = "Don't know"
    with open(tmp_path / "filled.csv", "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    done = run(
        "import-sheet",
        path,
        tmp_path / "filled.csv",
        "--label",
        "Ann",
        "--role",
        "DCS",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "imported 2 answers" in done.stdout
    with Workshop.open(path) as ws:
        answers = ws.ratings()
    assert sorted(answers["dont_know"].tolist()) == [False, True]
    assert answers["rating"].dropna().tolist() == [4]
    assert set(answers["respondent_label"]) == {"Ann"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "nowhere.workshop.sqlite", "-o", "r.html"], "does not exist"),
        (["summary", "nowhere"], "does not exist"),
        (["report", "DEMO", "-o", "r.pdf"], "cannot write a report as 'r.pdf'"),
        (["report", "DEMO", "-o", "r.html", "--authority", "Narnia"], "no answers from authority"),
        (["summary", "DEMO", "--min-group", "0"], "min_group 0 is not a whole number"),
        (["export", "nowhere.workshop.sqlite", "-o", "x.csv"], "does not exist"),
        (["live", "nowhere.workshop.sqlite"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2(demo, tmp_path, args, message):
    args = [str(demo) if a == "DEMO" else a for a in args]
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.pdf").exists()


def test_bad_workshop_file_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.workshop.sqlite"
    bogus.write_bytes(b"not a database at all" * 50)
    done = run("export", bogus, "-o", tmp_path / "x.csv", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert bogus.read_bytes() == b"not a database at all" * 50


def test_live_lists_addresses_for_the_join_link(tmp_path):
    from assured_kit.store import Workshop

    path = tmp_path / "w.workshop.sqlite"
    Workshop.create(path, title="W").close()
    done = run("live", path, "--addresses", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1" in done.stdout and "loopback" in done.stdout
    assert "only this computer can reach this address" in done.stdout


# ----------------------------------------------------------------------------- filters


def test_report_and_summary_filter_by_year_role_and_workshop(tmp_path, capsys):
    from assured_kit.cli import main
    from assured_kit.workbook import read_tables

    folder = tmp_path / "demo"
    assert main(["demo", str(folder)]) == 0
    ratings = read_ratings(folder)
    year = int(pd.to_datetime(ratings["held_on"]).dt.year.max())
    out = tmp_path / "year.xlsx"
    assert main(["report", str(folder), "-o", str(out), "--year", str(year), "--role", "DCS"]) == 0
    themes = read_tables(out)["Themes"]
    # The slice of the whole data, withheld as decided on the whole (not the kept rows alone).
    expected = sm.by_theme(ratings, where={"year": year, "role": "DCS"})
    assert (
        themes["n_answers"].fillna(-1).tolist()
        == expected["n_answers"].astype("Float64").fillna(-1).tolist()
    )
    capsys.readouterr()
    title = str(ratings["workshop_title"].iloc[0])
    assert main(["summary", str(folder), "--workshop", title]) == 0
    one = capsys.readouterr().out
    assert main(["summary", str(folder)]) == 0
    assert one != capsys.readouterr().out  # one workshop's table differs from the region's
    assert main(["summary", str(folder), "--workshop", "No such workshop"]) == 2
    assert "unknown workshop(s) 'No such workshop'" in capsys.readouterr().err
