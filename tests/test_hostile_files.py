"""Hostile spreadsheets: each is refused within 5 s and 300 MB, the workshop left untouched.

Every file is built here: rating sheets from the kit's own template filled by openpyxl, the
"zip bomb" as a zip written by hand (one shared string that unpacks to 1 GiB from about 1 MB),
and the password-protected workbook as the Office container it really is (a compound file with
``EncryptionInfo`` and ``EncryptedPackage`` streams).

The imports run in one child process with its address space capped (a regression fails with a
`MemoryError` instead of swapping the machine), which measures each import's CPU time (on a
shared, loaded machine wall time says more about the neighbours than the kit) and its peak
memory above what the process held before it (Linux: the peak is reset before each case).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import openpyxl
import pytest

from assured_kit.errors import AssuredKitError
from assured_kit.sheets import write_rating_sheet
from assured_kit.store import Workshop
from assured_kit.tabular import MAX_PROBLEMS

SECONDS = 5.0  # CPU seconds of the importing process: steady on a loaded machine, unlike wall time
MEGABYTES = 300
ADDRESS_SPACE = 1 << 30  # the child's cap; what the kit and its libraries need is far less
ANSWERS = {"PM-DCS-1": 4, "PM-DCS-2": "2 - Slightly confident", "PM-LM-1": "Don't know"}


# --------------------------------------------------------------------------- building files


def _header_row(sheet) -> int:
    for row in sheet.iter_rows(max_col=1):
        if row[0].value == "question_id":
            return row[0].row
    raise AssertionError("no header row")


def _fill(sheet, answers: dict[str, object] = ANSWERS) -> None:
    """Fill a rating sheet as a person would: Respondent, Role and a few ratings."""
    for row in sheet.iter_rows(max_row=_header_row(sheet) - 1, max_col=2):
        if row[0].value == "Respondent":
            row[1].value = "Pat"
        if row[0].value == "Role":
            row[1].value = "DCS"
    for row in sheet.iter_rows(min_row=_header_row(sheet) + 1, max_col=6):
        if row[0].value in answers:
            row[5].value = answers[row[0].value]


def filled_sheet(ws: Workshop, path: Path, change=None) -> Path:
    """A filled rating sheet; ``change(book, sheet)`` then makes it hostile."""
    write_rating_sheet(path, workshop=ws)
    book = openpyxl.load_workbook(path)
    sheet = book["Rating sheet"]
    _fill(sheet)
    if change is not None:
        change(book, sheet)
    book.save(path)
    return path


def _zip_by_hand(path: Path, parts: list[tuple[str, list[bytes], int, int]]) -> Path:
    """Write a zip of raw deflate streams: (name, compressed pieces, CRC-32, unpacked size)."""
    local, central = bytearray(), bytearray()
    for name, pieces, crc, size in parts:
        packed = sum(len(p) for p in pieces)
        offset = len(local)
        raw = name.encode()
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, crc, packed, size,
                             len(raw), 0) + raw
        for piece in pieces:
            local += piece
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 33, crc, packed,
                               size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central),
                      len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


_SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
_SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _with_shared_strings(name: str, data: bytes) -> bytes:
    """Register a shared-strings part in a workbook's manifest and relationships."""
    if name == "[Content_Types].xml" and _SST_TYPE not in data:
        return data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                            b'ContentType="' + _SST_TYPE + b'"/></Types>')
    if name == "xl/_rels/workbook.xml.rels" and _SST_REL not in data:
        return data.replace(b"</Relationships>", b'<Relationship Id="rIdBomb" Type="' + _SST_REL
                            + b'" Target="sharedStrings.xml"/></Relationships>')
    return data


def _deflated(name: str, data: bytes) -> tuple[str, list[bytes], int, int]:
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, [deflate.compress(data) + deflate.flush()], zlib.crc32(data), len(data)


def bomb(source: Path, path: Path, inflated: int = 1 << 30) -> Path:
    """Copy a workbook, adding to its shared strings one string of ``inflated`` bytes.

    The string is deflated once per MiB with a full flush, so every MiB packs to the same
    bytes: the 1 GiB part is written (and its CRC computed) without ever being held.
    """
    import zipfile

    parts = []
    strings = _SST + b"</sst>"
    with zipfile.ZipFile(source) as original:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/sharedStrings.xml":
                strings = data
            else:
                parts.append(_deflated(info.filename, _with_shared_strings(info.filename, data)))
    head = strings[: strings.rindex(b"</sst>")] + b"<si><t>"
    tail = b"</t></si></sst>"
    chunk = b"A" * min(1 << 20, inflated)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    last = deflate.compress(tail) + deflate.flush()
    count = inflated // len(chunk)
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    parts.append(("xl/sharedStrings.xml", [first, *[block] * count, last], crc,
                  len(head) + count * len(chunk) + len(tail)))
    return _zip_by_hand(path, parts)


def styled_rows(source: Path, path: Path, rows: int, columns: int = 2, first: int = 100) -> Path:
    """Copy a workbook, adding ``rows`` rows of formatted, empty cells under its first sheet."""
    import zipfile

    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    extra = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{x}{r}" s="1"/>' for x in letters) + "</row>"
        for r in range(first, first + rows)
    ).encode()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(
        path, "w", zipfile.ZIP_DEFLATED, compresslevel=1
    ) as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", extra + b"</sheetData>")
            copy.writestr(info, data)
    return path


def compound_file(path: Path, streams: dict[str, bytes]) -> Path:
    """Write an Office compound file (CFB, version 3) holding ``streams`` (each >= 4096 bytes).

    This is the container of an old ``.xls`` workbook (a ``Workbook`` stream) and of a
    password-protected ``.xlsx`` (``EncryptionInfo`` and ``EncryptedPackage`` streams).
    """
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_sector, end]  # sector 0: the FAT itself; sector 1: the directory
    data = bytearray()
    entries = []
    for name, body in streams.items():
        body = body + b"\0" * (-len(body) % 512)
        start = 2 + len(data) // 512
        count = len(body) // 512
        fat += [start + i + 1 for i in range(count - 1)] + [end]
        entries.append((name, 2, start, len(streams[name])))
        data += body
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, left: int = no_stream,
              right: int = no_stream, child: int = no_stream) -> bytes:
        raw = (name + "\0").encode("utf-16-le")
        return (raw.ljust(64, b"\0") + struct.pack("<HBB3L", len(raw), kind, 1, left, right,
                                                     child)
                + b"\0" * 36 + struct.pack("<LQ", start, size))

    # The root's child is the first stream; the others hang off it as right siblings.
    directory = entry("Root Entry", 5, end, 0, child=1)
    for i, (name, kind, start, size) in enumerate(entries, start=1):
        directory += entry(name, kind, start, size,
                           right=i + 1 if i < len(entries) else no_stream)
    directory = directory.ljust(512, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<5H6x3L4x4L", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 4096, end, 0, end)
              + struct.pack("<2L", 0, 0) + b"\xff" * 4 * 108)
    header = header.ljust(512, b"\xff")
    path.write_bytes(header + struct.pack("<128L", *fat) + directory + bytes(data))
    return path


def protected_workbook(path: Path) -> Path:
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00<?xml version=\"1.0\"?><encryption/>"
    return compound_file(path, {"EncryptionInfo": info.ljust(4096, b"\0"),
                                "EncryptedPackage": os.urandom(8192)})


# --------------------------------------------------------------------------- the cases


def _stray(book, sheet) -> None:
    sheet["H1048576"] = "oops"


def _junk(book, sheet) -> None:
    for n in range(50_000):
        sheet.append([f"junk {n}", None, None, None, None, "x"])


def _swap(book, sheet) -> None:
    rows = {row[0].value: row[0] for row in sheet.iter_rows(max_col=1)}
    rows["PM-DCS-1"].value, rows["PM-DCS-2"].value = "PM-DCS-2", "PM-DCS-1"


def _copied(book, sheet) -> None:
    copy = book.copy_worksheet(sheet)
    copy.title = "Rating sheet (2)"
    _fill(copy)


def _form_with_stray(path: Path, *, stray: bool = True) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Form1"
    sheet.append(["Id", "Email", "PM-DCS-1", "PM-DCS-2"])
    sheet.append([1, "a@example.org", 4, 3])
    if stray:
        sheet["XFD2"] = "stray"
    book.save(path)
    return path


CASES = {
    # name: (what the child calls, the message expected, a regular expression)
    "stray-cell": ("sheet", r"stray-cell\.xlsx, sheet 'Rating sheet': cell H1048576 "
                   r"\(row 1,048,576, column H\) holds 'oops'.*at most 5,000 rows"),
    "bomb": ("sheet", r"bomb\.xlsx: the workbook's part 'xl/sharedStrings\.xml' would unpack from "
             r"1\.0 MB to 1,024\.0 MB"),
    "junk-rows": ("sheet", r"junk-rows\.xlsx: the workbook would unpack to \d\.\d MB, more than "
                  r"a rating sheet ever needs.*delete the rows under it"),
    # Formatting far down a sheet is no value, but reading it takes time: a workbook that
    # would unpack to more than a rating sheet's 4 MB is refused unread, one holding more
    # cells than allowed is refused when the budget runs out, and the largest one allowed
    # (formatting only, no answers) is still read within the time limit.
    "styled-rows": ("sheet", r"styled-rows\.xlsx: the workbook would unpack to 2\d\.\d MB, more "
                    r"than a rating sheet ever needs, so it was not read"),
    "styled-cells": ("sheet", r"styled-cells\.xlsx, sheet 'Rating sheet': by row 2\d,\d{3} the "
                     r"sheet holds more than 50,000 cells \(with values or formatting\)"),
    "styled-within": ("sheet", r"styled-within\.xlsx, sheet 'Rating sheet': 1 problem: row 3, "
                      r"column 'Respondent': no respondent label"),
    "form-cells": ("form", r"form-cells\.xlsx, sheet 'Form1': by row \d,\d{3} the sheet holds "
                   r"more than 100,000 cells"),
    "password": ("sheet", r"password\.xlsx: this workbook is protected with a password.*"
                 r"remove the password and save again"),
    "swapped-ids": ("sheet", r"swapped-ids\.xlsx, sheet 'Rating sheet': 2 problems: row 9, "
                    r"column 'question_id': the question_id says PM-DCS-2 but .*row 10, "),
    "two-copies": ("sheet", r"two-copies\.xlsx: answers were found in two sheets, 'Rating sheet' "
                   r"and 'Rating sheet \(2\)'"),
    "form-stray-cell": ("form", r"form-stray-cell\.xlsx, sheet 'Form1': cell XFD2 "
                        r"\(row 2, column XFD\) holds 'stray'.*at most 5,000 rows and 500 columns"),
    "export-bomb": ("export", r"export-bomb\.xlsx: the workbook's part 'xl/sharedStrings\.xml' "
                    r"would unpack"),
}

_CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from assured_kit.errors import AssuredKitError
from assured_kit.ratings import read_ratings
from assured_kit.store import Workshop

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False

cases = json.loads(sys.argv[3])
out = {}
with Workshop.open(sys.argv[2]) as ws:
    ws.ratings()  # load what an import loads anyway before measuring
    for name, (kind, path) in cases.items():
        resettable = reset_peak()
        before = status("VmRSS")
        start = time.process_time()
        try:
            if kind == "control":  # proves the measure: 64 MB really written, then freed
                held = b"x" * (64 << 20)
                outcome = ["refused", str(len(held))]
                del held
            elif kind == "sheet":
                outcome = ["imported", str(ws.import_rating_sheet(path))]
            elif kind == "form":
                outcome = ["imported", str(ws.import_form_export(path, default_role="DCS"))]
            else:
                outcome = ["imported", str(len(read_ratings(path)))]
        except AssuredKitError as err:
            outcome = ["refused", str(err)]
        except MemoryError:
            outcome = ["out of memory", ""]
        seconds = time.process_time() - start
        peak = (status("VmHWM") if resettable else
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024) - before
        out[name] = outcome + [seconds, peak]
print(json.dumps(out))
"""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    """Build every hostile file, run the imports in one capped child; return what each did."""
    folder = tmp_path_factory.mktemp("hostile")
    workshop = folder / "hostile.workshop.sqlite"
    with Workshop.create(workshop, title="Hostile", themes=["PM"]) as ws:
        ws.add_respondent("Ann", role="LM")
        plain = filled_sheet(ws, folder / "plain.xlsx")
        filled_sheet(ws, folder / "stray-cell.xlsx", _stray)
        filled_sheet(ws, folder / "junk-rows.xlsx", _junk)
        filled_sheet(ws, folder / "swapped-ids.xlsx", _swap)
        filled_sheet(ws, folder / "two-copies.xlsx", _copied)
        export = ws.export(folder / "export.xlsx")
        blank = write_rating_sheet(folder / "blank.xlsx", workshop=ws)
    styled_rows(plain, folder / "styled-rows.xlsx", 400_000)
    styled_rows(plain, folder / "styled-cells.xlsx", 30_000)
    styled_rows(blank, folder / "styled-within.xlsx", 24_000)  # 48,000 cells and the table's
    styled_rows(_form_with_stray(folder / "form.xlsx", stray=False), folder / "form-cells.xlsx",
                4_000, columns=40, first=3)
    bomb(plain, folder / "bomb.xlsx")
    bomb(export, folder / "export-bomb.xlsx")
    protected_workbook(folder / "password.xlsx")
    _form_with_stray(folder / "form-stray-cell.xlsx")
    before = _digest(workshop)
    cases = {name: (kind, str(folder / f"{name}.xlsx")) for name, (kind, _) in CASES.items()}
    cases["control"] = ("control", "")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ADDRESS_SPACE), str(workshop), json.dumps(cases)],
        capture_output=True, text=True, timeout=240, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout), before, _digest(workshop)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_is_refused_fast_and_small(hostile, name: str) -> None:
    outcomes, _, _ = hostile
    outcome, message, seconds, peak = outcomes[name]
    print(f"{name}: {outcome} in {seconds:.2f} s, peak {peak:.0f} MB above the start")
    assert outcome == "refused", (outcome, message)
    assert re.search(CASES[name][1], message), message
    assert len(message) < 2_000, len(message)
    assert "Traceback" not in message
    assert seconds < SECONDS, f"{name}: {seconds:.1f} s"
    assert peak < MEGABYTES, f"{name}: {peak:.0f} MB"


@pytest.mark.slow
def test_the_measure_sees_memory_that_is_used(hostile) -> None:
    outcomes, _, _ = hostile
    _, held, _, peak = outcomes["control"]
    assert held == str(64 << 20)
    assert 60 < peak < 200, peak


@pytest.mark.slow
def test_hostile_files_leave_the_workshop_untouched(hostile) -> None:
    _, before, after = hostile
    assert before == after


# --------------------------------------------------------------------------- quick checks


@pytest.fixture
def ws(tmp_path: Path):
    with Workshop.create(tmp_path / "q.workshop.sqlite", title="Quick", themes=["PM"]) as workshop:
        yield workshop


def test_bomb_builder_makes_a_real_bomb(tmp_path: Path, ws: Workshop) -> None:
    """The bomb's part declares (and really holds) many times its packed size."""
    import zipfile

    plain = filled_sheet(ws, tmp_path / "plain.xlsx")
    made = bomb(plain, tmp_path / "small-bomb.xlsx", inflated=8 << 20)
    with zipfile.ZipFile(made) as archive:
        info = archive.getinfo("xl/sharedStrings.xml")
        assert info.file_size > 8 << 20 and info.file_size > 500 * info.compress_size
        assert archive.read(info).endswith(b"A" * 100 + b"</t></si></sst>")  # CRC checked
    with pytest.raises(AssuredKitError, match=r"would unpack from \d+ KB to 8\.0 MB"):
        ws.import_rating_sheet(made)
    # Below the limits, the same construction is a workbook openpyxl reads: the shared
    # string is really there, so only the guard stands between a bomb and the reader.
    from openpyxl.reader.strings import read_string_table

    small = bomb(plain, tmp_path / "small.xlsx", inflated=1 << 19)
    with zipfile.ZipFile(small) as archive, archive.open("xl/sharedStrings.xml") as part:
        assert read_string_table(part)[-1] == "A" * (1 << 19)
    assert ws.import_rating_sheet(small) == len(ANSWERS)


def test_old_xls_and_protected_workbook_are_told_apart(tmp_path: Path, ws: Workshop) -> None:
    old = compound_file(tmp_path / "old.xlsx", {"Workbook": b"\x09\x08".ljust(4096, b"\0")})
    with pytest.raises(AssuredKitError, match=r"old\.xlsx: this is an old-style \.xls workbook"):
        ws.import_rating_sheet(old)
    protected = protected_workbook(tmp_path / "protected.xlsx")
    with pytest.raises(AssuredKitError, match=r"protected with a password") as refused:
        ws.import_rating_sheet(protected)
    assert "old-style" not in str(refused.value)
    with pytest.raises(AssuredKitError, match=r"protected with a password"):
        ws.import_form_export(protected, default_role="DCS")


def test_many_bad_rows_list_fifty_problems_then_a_count(tmp_path: Path, ws: Workshop) -> None:
    def junk(book, sheet) -> None:
        for n in range(3_000):
            sheet.append([f"junk {n}", None, None, None, None, "x"])

    path = filled_sheet(ws, tmp_path / "junk.xlsx", junk)
    with pytest.raises(AssuredKitError) as refused:
        ws.import_rating_sheet(path)
    message = str(refused.value)
    assert message.startswith("junk.xlsx, sheet 'Rating sheet': 3,000 problems: row ")
    assert message.count("no question 'junk") == MAX_PROBLEMS
    assert "; and 2,950 more." in message
    assert len(message) < 10_000
    assert ws.ratings().empty


def test_a_cleared_question_text_is_not_a_swap(tmp_path: Path, ws: Workshop) -> None:
    def clear_text(book, sheet) -> None:
        for row in sheet.iter_rows(max_col=5):
            if row[0].value == "PM-DCS-1":
                row[4].value = None
            if row[0].value == "PM-DCS-2":  # text changed only in case and spacing
                row[4].value = "  " + str(row[4].value).upper() + " "

    path = filled_sheet(ws, tmp_path / "cleared.xlsx", clear_text)
    assert ws.import_rating_sheet(path) == len(ANSWERS)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (dict(max_bytes=1_000), r"plain\.xlsx: the file is \d+ KB, too large to be a test table"),
        (dict(max_unpacked=20_000), r"plain\.xlsx: the workbook would unpack to \d+ KB"),
        (dict(max_parts=5), r"plain\.xlsx: the workbook has 1\d parts"),
    ],
)
def test_every_limit_refuses_before_reading(tmp_path: Path, ws: Workshop, limits: dict,
                                             message: str) -> None:
    from assured_kit.tabular import Limits, read_grid

    plain = filled_sheet(ws, tmp_path / "plain.xlsx")
    small = Limits("a test table", max_rows=100, max_columns=10, **limits)
    with pytest.raises(AssuredKitError, match=message):
        read_grid(plain, is_header=any, what="a test table", limits=small)
    roomy = Limits("a test table", max_rows=100, max_columns=10)
    assert read_grid(plain, is_header=any, what="a test table", limits=roomy).sheet == (
        "Rating sheet"
    )
