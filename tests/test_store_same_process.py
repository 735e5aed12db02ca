"""Opening a workshop twice in one process must not drop the first handle's SQLite locks.

POSIX file locks belong to the process: closing any descriptor of the file releases them all.
If opening a second handle read the file's header with a plain ``open()``, another process could
then believe it was the file's last user, checkpoint and delete the write-ahead log, and the
first handle's later answers would go into a deleted file.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from assured_kit.store import Workshop

OTHER_WRITER = """
import sys
from assured_kit.store import Workshop
ws = Workshop.open(sys.argv[1])
rid = ws.add_respondent("Other process", role="LM")
ws.record(rid, "LA-LM-1", rating=2)
ws.close()
"""

READER = """
import sys
from assured_kit.store import Workshop
with Workshop.open(sys.argv[1]) as ws:
    print(len(ws.ratings()))
"""


@pytest.mark.slow
def test_second_handle_in_one_process_keeps_the_first_ones_writes(tmp_path):
    path = tmp_path / "twice.workshop.sqlite"
    first = Workshop.create(path, title="Opened twice")
    rid = first.add_respondent("Table 1", role="Mixed", kind="table")
    first.record(rid, "LA-DCS-1", rating=4)
    Workshop.open(path).close()  # a second handle in the same process, e.g. a report button
    subprocess.run([sys.executable, "-c", OTHER_WRITER, str(path)], check=True)
    first.record(rid, "LA-DCS-2", rating=5)
    first.set_session(question_id="LA-DCS-2", revealed=True)
    seen = subprocess.run(
        [sys.executable, "-c", READER, str(path)], check=True, capture_output=True, text=True
    )
    first.close()
    assert seen.stdout.strip() == "3"
    with Workshop.open(path) as again:
        assert len(again.ratings()) == 3
        assert again.session()["revealed"] is True
