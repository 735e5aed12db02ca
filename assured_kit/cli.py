"""The ``assured-kit`` command: the kit for analysts and facilitators without Jupyter.

Each sub-command is a thin wrapper over a public function of the package, so the command line
and the notebooks always agree::

    assured-kit demo DIR [--seed N]
    assured-kit report FILES... -o report.html|report.xlsx [--authority X] [--min-group N]
    assured-kit summary FILES... [--by theme|question]
    assured-kit export WORKSHOP -o answers.csv|workshop.xlsx
    assured-kit sheet -o rating_sheet.xlsx|rating_sheet.csv
    assured-kit import-sheet WORKSHOP SHEET --label LABEL --role ROLE
    assured-kit live WORKSHOP [--host 127.0.0.1] [--port 8866] [--addresses]

Bad input (an `AssuredKitError`) prints ``error: <message>`` on standard error and exits with
status 2, never a traceback; a file the operating system cannot read or write exits with 1.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import AssuredKitError

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["build_parser", "main"]

_EPILOG = textwrap.dedent(
    """\
    Nothing in a report or summary lets anyone read or work out the answers of fewer than
    --min-group people (default 3): such figures, and any figure that would give them away,
    are shown as suppressed, never as zero. --min-group 1 also needs --allow-small-groups.
    Anonymised authorities take their letters from a key file kept beside the data (or
    --key). Run 'assured-kit COMMAND --help' for the details of one command.
    """
)


def _para(text: str) -> str:
    """Wrap a description to the terminal-friendly width (the formatter keeps line breaks)."""
    return textwrap.fill(text, width=96)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32, width=100)


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Callable[[argparse.Namespace], int],
    *,
    help: str,
    description: str,
    epilog: str | None = None,
) -> argparse.ArgumentParser:
    """Add a sub-command whose ``handler`` runs it; ``description`` is wrapped."""
    command = commands.add_parser(
        name,
        help=help,
        description=_para(description),
        epilog=epilog,
        formatter_class=_formatter,
    )
    command.set_defaults(handler=handler)
    return command


def _add_sources(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "sources",
        metavar="FILES",
        nargs="+",
        type=Path,
        help="workshop files, folders of them, or tidy CSV/XLSX exports",
    )


def _add_marking(command: argparse.ArgumentParser, what: str) -> None:
    from .report import DEFAULT_MARKING

    command.add_argument(
        "--marking",
        default=DEFAULT_MARKING,
        help=f"protective marking printed on the {what} (default: {DEFAULT_MARKING}; "
        "'' for none)",
    )


def _add_min_group(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--min-group",
        type=int,
        default=3,
        metavar="N",
        help="withhold figures resting on fewer than N people (default 3), and any figure "
        "that would give them away",
    )
    command.add_argument(
        "--allow-small-groups",
        action="store_true",
        help="needed with --min-group 1 (nothing withheld); the output then says so at the top",
    )


def _add_filters(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--year",
        type=int,
        action="append",
        default=[],
        metavar="YYYY",
        help="only workshops held in this year (repeat for several)",
    )
    command.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE",
        help="only respondents with this role: DCS, LM, Officer or Mixed (repeatable)",
    )
    command.add_argument(
        "--workshop",
        action="append",
        default=[],
        metavar="ID_OR_TITLE",
        help="only this workshop, by id or title (repeatable)",
    )


def _selection(args: argparse.Namespace) -> dict[str, list[Any]]:
    """Return the slice the --year, --role and --workshop options pick (see `where_from`)."""
    return {"years": args.year, "roles": args.role, "workshops": args.workshop}


def _add_workshop(command: argparse.ArgumentParser) -> None:
    command.add_argument("workshop", metavar="WORKSHOP", type=Path, help="a *.workshop.sqlite file")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``assured-kit`` command.

    Returns
    -------
    argparse.ArgumentParser
        One sub-parser per command; each sets ``handler`` to the function that runs it.

    Examples
    --------
    >>> args = build_parser().parse_args(["summary", "a.workshop.sqlite", "--min-group", "5"])
    >>> args.command, args.min_group
    ('summary', 5)
    """
    parser = argparse.ArgumentParser(
        prog="assured-kit",
        description=_para(
            "Assured Safeguarding workshop kit: make demo data, combine workshop files into "
            "reports and summaries, export answers, hand out offline rating sheets and serve "
            "live voting."
        ),
        epilog=_EPILOG,
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"assured-kit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = _command(
        commands,
        "demo",
        _cmd_demo,
        help="write synthetic demo workshops into a folder",
        description="Write realistic synthetic workshops for a region over two years into DIR, "
        "marked as synthetic in their titles and data. Use them to try the notebooks, reports "
        "and this command before real workshops exist.",
    )
    demo.add_argument("folder", metavar="DIR", type=Path, help="folder to write into (created)")
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed (default 0): the same seed gives the same data",
    )

    report = _command(
        commands,
        "report",
        _cmd_report,
        help="write an HTML or XLSX report from workshop files and exports",
        description="Combine workshop files (*.workshop.sqlite), folders of them and tidy "
        "CSV/XLSX exports into one report. A .html output is one self-contained page (charts "
        "embedded, no network needed, prints to A4) organised per theme around 'What do we "
        "know? How do we know? What will we do next?'. A .xlsx output is a workbook of the "
        "summary tables. With --authority the report is that authority's own: other "
        "authorities appear anonymised (Authority A, B, ...) unless named with --name.",
        epilog=(
            "examples:\n"
            "  assured-kit report demo/ -o region.html\n"
            "  assured-kit report demo/ -o derby.html --authority Derby\n"
            "  assured-kit report one.workshop.sqlite -o tables.xlsx --min-group 5\n"
        ),
    )
    _add_sources(report)
    report.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="the report to write: a .html page or a .xlsx workbook",
    )
    report.add_argument(
        "--scope",
        choices=("workshop", "authority", "region"),
        help="whose report: one workshop, one authority, or the region "
        "(default: authority with --authority, workshop for one workshop, "
        "else region)",
    )
    report.add_argument("--authority", metavar="X", help="report for this authority")
    _add_filters(report)
    report.add_argument(
        "--name",
        metavar="AUTHORITY",
        action="append",
        default=[],
        dest="named_authorities",
        help="an authority that agreed to be named in others' reports (repeat for several)",
    )
    _add_min_group(report)
    report.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="the anonymity key file giving authorities their letters (default: "
        "assured-kit-anonymity.key beside the first source, written on first use); the same "
        "key gives each authority the same letter in every report",
    )
    report.add_argument("--title", help="the report's title (default: from the scope)")
    _add_marking(report, "report's pages (HTML), top and bottom of each")

    challenge = _command(
        commands,
        "challenge",
        _cmd_challenge,
        help="write a peer-challenge pack for one authority (HTML)",
        description="Write the lines of enquiry for a peer team visiting one authority: "
        "questions drawn from where its confidence is weak or contested, runs ahead of "
        "evidence, differs between DCS and Lead Member, or sits outside the region's range, "
        "each with its framework question, figures (with n) and the source's examples of "
        "practice as prompts; its open actions; and a blank agreed-actions table. The page "
        "prints on A4. Other authorities are never named; small groups are suppressed as in "
        "every report.",
        epilog=(
            "examples:\n"
            "  assured-kit challenge demo/ --authority Derby -o derby-pack.html\n"
            "  assured-kit agreed-actions derby.workshop.sqlite derby-agreed-actions.csv\n"
        ),
    )
    _add_sources(challenge)
    challenge.add_argument("--authority", metavar="X", required=True, help="the authority")
    challenge.add_argument(
        "-o", "--output", required=True, type=Path, help="the pack to write (.html)"
    )
    challenge.add_argument("--title", help="the pack's title (default: Peer challenge: X)")
    _add_marking(challenge, "pack")
    _add_min_group(challenge)

    agreed = _command(
        commands,
        "agreed-actions",
        _cmd_agreed_actions,
        help="add a challenge pack's agreed actions (CSV) to a workshop file",
        description="Read the agreed-actions CSV saved from a peer-challenge pack (columns "
        "question_id, what, owner, due) and add each row to WORKSHOP as an action. The whole "
        "file is checked first: a bad row adds nothing.",
    )
    _add_workshop(agreed)
    agreed.add_argument("actions", metavar="CSV", type=Path, help="the agreed-actions CSV")

    summary = _command(
        commands,
        "summary",
        _cmd_summary,
        help="print the theme-by-theme summary table",
        description="Print, for each theme (or question), the number of respondents and "
        "answers, the median, the shares at the top and bottom of the scale, the Don't know "
        "share and whether confidence is strong, weak or contested. Figures resting on fewer "
        "than --min-group people, and any that would give them away, are shown as suppressed.",
    )
    _add_sources(summary)
    summary.add_argument(
        "--by",
        choices=("theme", "question"),
        default="theme",
        help="one row per theme (default) or per question",
    )
    summary.add_argument("--authority", metavar="X", help="only this authority's answers")
    _add_filters(summary)
    _add_min_group(summary)

    export = _command(
        commands,
        "export",
        _cmd_export,
        help="export a workshop's answers (CSV) or everything in it (XLSX)",
        description="Write a workshop file out for spreadsheets: a .csv output holds the tidy "
        "answers (one row per respondent, question and round); a .xlsx output is the full "
        "workbook (answers, respondents, actions, examples, notes, details). Participant text "
        "is neutralised so that no cell is read as a formula.",
    )
    _add_workshop(export)
    export.add_argument("-o", "--output", required=True, type=Path, help="a .csv or .xlsx file")

    sheet = _command(
        commands,
        "sheet",
        _cmd_sheet,
        help="write a blank offline rating sheet (XLSX or CSV)",
        description="Write a blank rating sheet, one row per question with columns for the "
        "rating, the evidence level and a note, for anyone rating on paper or in Excel. The "
        "XLSX sheet has drop-down lists. Bring a filled sheet back with "
        "'assured-kit import-sheet'.",
    )
    sheet.add_argument("-o", "--output", required=True, type=Path, help="a .xlsx or .csv file")
    sheet.add_argument(
        "--workshop",
        metavar="WORKSHOP",
        type=Path,
        help="make the sheet for this workshop (its themes, roles and scale)",
    )
    sheet.add_argument(
        "--role",
        action="append",
        choices=("DCS", "LM"),
        dest="roles",
        help="only this role's questions (repeat for both; default both)",
    )
    sheet.add_argument(
        "--theme",
        action="append",
        dest="themes",
        metavar="THEME",
        help="only this theme's questions, e.g. LA or WF (repeat for several; default all)",
    )
    sheet.add_argument("--scale", default="confidence", help="rating scale (default confidence)")
    sheet.add_argument("--label", default="", help="the respondent's label, printed on the sheet")

    import_sheet = _command(
        commands,
        "import-sheet",
        _cmd_import_sheet,
        help="bring a filled rating sheet into a workshop (all or nothing)",
        description="Read a filled rating sheet and record its answers in WORKSHOP for one "
        "respondent. Nothing is written unless every row is valid; every problem is reported "
        "at once, by row and column.",
    )
    import_sheet.add_argument(
        "workshop",
        metavar="WORKSHOP",
        type=Path,
        help="the *.workshop.sqlite file to add the answers to",
    )
    import_sheet.add_argument(
        "sheet", metavar="SHEET", type=Path, help="the filled .xlsx or .csv sheet"
    )
    import_sheet.add_argument(
        "--label", required=True, help="the respondent's label (a name, pseudonym or table)"
    )
    import_sheet.add_argument("--role", required=True, help="DCS, LM, Officer or Mixed")
    import_sheet.add_argument("--authority", help="the respondent's authority (optional)")

    live = _command(
        commands,
        "live",
        _cmd_live,
        help="serve the live-voting page for a workshop",
        description="Serve the live-voting page for WORKSHOP so participants can join from "
        "their own devices, and the room view for the projector. It listens only on the "
        "address given (loopback by default); use this computer's address on the venue's "
        "network (see --addresses) to let phones on the same network join.",
    )
    _add_workshop(live)
    live.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    live.add_argument("--port", type=int, default=8866, help="port to listen on (default 8866)")
    live.add_argument(
        "--advertise", help="the address to put in the join link and QR code (see --addresses)"
    )
    live.add_argument(
        "--addresses", action="store_true",
        help="list this computer's network addresses for the join link, then stop",
    )
    live.add_argument(
        "--max-sessions", type=int, default=200, help="most phones at once (default 200)"
    )
    live.add_argument(
        "--keep-open-on-reveal", action="store_true",
        help="let people keep voting after the room's answers are shown (closing is the default)",
    )
    live.add_argument(
        "--new-code",
        action="store_true",
        help="replace the workshop's join code (old links and QR codes stop working)",
    )
    return parser


# --------------------------------------------------------------------------- handlers


def _existing(path: Path, what: str) -> Path:
    if not path.exists():
        raise AssuredKitError(
            f"{what} {str(path)!r} does not exist",
            allowed="an existing file or folder",
            hint="a typing slip in the path, or the command run from another folder",
        )
    return path


def _existing_sources(sources: Sequence[Path]) -> list[Path]:
    return [_existing(source, "source") for source in sources]


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import demo_workshops

    paths = demo_workshops(args.folder, seed=args.seed)
    count = len(paths) if isinstance(paths, Sequence) else None
    suffix = f"{count} synthetic workshop files" if count is not None else "synthetic workshops"
    print(f"wrote {suffix} to {args.folder}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import report_from_sources

    written = report_from_sources(
        _existing_sources(args.sources),
        args.output,
        scope=args.scope,
        authority=args.authority,
        min_group=args.min_group,
        title=args.title,
        named_authorities=tuple(args.named_authorities),
        key=args.key,
        allow_small_groups=args.allow_small_groups,
        **_selection(args),
        marking=args.marking,
    )
    print(f"wrote {written}")
    return 0


def _cmd_challenge(args: argparse.Namespace) -> int:
    from .challenge import write_challenge_pack

    written = write_challenge_pack(
        _existing_sources(args.sources),
        args.authority,
        args.output,
        min_group=args.min_group,
        allow_small_groups=args.allow_small_groups,
        title=args.title,
        marking=args.marking,
    )
    print(f"wrote {written}")
    return 0


def _cmd_agreed_actions(args: argparse.Namespace) -> int:
    from .challenge import add_agreed_actions

    ids = add_agreed_actions(
        _existing(args.workshop, "workshop"), _existing(args.actions, "actions")
    )
    print(f"added {len(ids)} action(s) to {args.workshop}: {', '.join(ids) or 'none'}")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from .ratings import read_ratings
    from .report import summary_text
    from .summary import where_from

    # The whole data, sliced: what is withheld agrees with the full summary and the reports.
    ratings = read_ratings(*_existing_sources(args.sources))
    where = where_from(ratings, **_selection(args))
    print(
        summary_text(
            ratings,
            by=args.by,
            authority=args.authority,
            min_group=args.min_group,
            allow_small_groups=args.allow_small_groups,
            where=where or None,
        )
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from .store import Workshop

    _existing(args.workshop, "workshop file")
    with Workshop.open(args.workshop) as ws:
        ws.export(args.output)
    print(f"wrote {args.output}")
    return 0


def _cmd_sheet(args: argparse.Namespace) -> int:
    from .sheets import write_rating_sheet

    options = {"themes": args.themes, "roles": args.roles, "respondent_label": args.label}
    if args.workshop is not None:
        from .store import Workshop

        _existing(args.workshop, "workshop file")
        with Workshop.open(args.workshop) as ws:
            write_rating_sheet(args.output, workshop=ws, **options)
    else:
        write_rating_sheet(args.output, scale=args.scale, **options)
    print(f"wrote {args.output}")
    return 0


def _cmd_import_sheet(args: argparse.Namespace) -> int:
    from .store import Workshop

    _existing(args.workshop, "workshop file")
    _existing(args.sheet, "rating sheet")
    with Workshop.open(args.workshop) as ws:
        result = ws.import_rating_sheet(
            args.sheet, label=args.label, role=args.role, authority=args.authority
        )
    print(f"imported {result} answers from {args.sheet} into {args.workshop}")
    return 0


def _cmd_live(args: argparse.Namespace) -> int:
    from .live import candidate_addresses, serve

    _existing(args.workshop, "workshop file")
    if args.addresses:
        for found in candidate_addresses():
            warning = f"  (warning: {found.warning})" if found.warning else ""
            print(f"{found.address:<40} {found.interface} ({found.kind}){warning}")
        return 0
    return serve(
        args.workshop,
        host=args.host,
        port=args.port,
        advertise=args.advertise,
        max_sessions=args.max_sessions,
        close_on_reveal=False if args.keep_open_on_reveal else None,
        new_code=args.new_code,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``assured-kit`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for bad input (after printing ``error: <message>`` on standard error),
        1 when the operating system refused to read or write a file.

    Examples
    --------
    >>> main(["summary", "no-such-file.workshop.sqlite"])  # doctest: +SKIP
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except AssuredKitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    sys.exit(main())
