"""Recorded results: atomic under kill -9, and a half-written file never breaks render mode."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.faults.conftest import LOCAL_SPEC, REPO, build_env, copy_root, poll

WRITER = textwrap.dedent("""
    import sys
    sys.path[:0] = [sys.argv[2] + "/_ext", sys.argv[2]]
    from pathlib import Path
    from deploydocs.records import write_atomic
    path = Path(sys.argv[1])
    n = 0
    while True:
        n += 1
        payload = {"n": n, "filler": [str(n) * 40] * 20000}
        write_atomic(path, __import__("json").dumps(payload))
        if n == 3:
            Path(str(path) + ".started").touch()
""")


def test_kill_9_while_writing_records_leaves_a_whole_old_or_new_file(tmp_path: Path) -> None:
    target = tmp_path / "_verified" / "page.json"
    for attempt in range(5):  # kill at different moments of the write loop
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target), str(REPO)])
        try:
            poll(lambda p=proc: Path(f"{target}.started").exists() or p.poll() is not None, 60,
                 "the writer to write a few records")
            assert proc.poll() is None
            poll(lambda at=attempt: json.loads(target.read_text())["n"] > 3 + at, 60,
                 "more records")  # reading between writes: always whole files
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        data = json.loads(target.read_text())  # parses: never half-written
        assert len(data["filler"]) == 20000
        assert data["filler"][0] == str(data["n"]) * 40
        Path(f"{target}.started").unlink()


def test_render_mode_reports_a_half_written_record_and_shows_never_verified(
        tmp_path: Path) -> None:
    src = copy_root("hostile", tmp_path)
    root = tmp_path / "local-lab"
    root.mkdir()
    out = src.parent / "out"

    def build(mode: str) -> subprocess.CompletedProcess[str]:
        env = build_env(mode, LOCAL_SPEC, DEPLOYDOCS_LOCAL_LAB_ROOT=str(root),
                        DEPLOYDOCS_FAULT_SECRET="hunter2-correct-horse")
        return subprocess.run(
            [sys.executable, "-m", "sphinx", "-E", "-b", "html", str(src), str(out / "html"),
             "-d", str(out / "doctrees")], env=env, cwd=REPO, capture_output=True, text=True,
            timeout=300)

    verified = build("verify")
    record = src / "_verified" / "secrets.json"
    text = record.read_text()
    assert '"passed"' in text, verified.stderr
    record.write_text(text[: len(text) // 2])  # as if a writer had died halfway
    rendered = build("render")
    assert rendered.returncode == 0, rendered.stderr
    assert "Traceback" not in rendered.stderr + rendered.stdout
    assert "secrets.json" in rendered.stderr, rendered.stderr
    page = (out / "html" / "secrets.html").read_text().lower()
    assert "never verified" in page
