"""The README's catalog emulation example, run as written: psql's \\d, \\dt+
and \\dv see what it registered, and a plain query still reaches the handler."""
from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

from conftest import run_psql
from test_lifecycle import free_port, wait_listening

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_readme_catalog_example(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Catalog emulation", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    port = free_port()
    script = tmp_path / "example.py"
    script.write_text(code.replace("127.0.0.1:5433", "127.0.0.1:%d" % port))
    proc = subprocess.Popen([sys.executable, str(script)], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_listening(port, proc)
        d = run_psql(port, "-c", r"\d users", dbname="shop")
        assert d.returncode == 0, d.stderr
        assert 'Table "public.users"' in d.stdout
        assert "bigint" in d.stdout and "not null" in d.stdout
        assert "character varying(200)" in d.stdout
        assert '"users_pkey" PRIMARY KEY, btree (id)' in d.stdout
        dt = run_psql(port, "-c", r"\dt+", dbname="shop")
        assert "people who bought something" in dt.stdout, dt.stdout + dt.stderr
        dv = run_psql(port, "-At", "-c", r"\dv", dbname="shop")
        assert dv.stdout.strip().startswith("public|recent_users|view"), dv.stdout + dv.stderr
        q = run_psql(port, "-At", "-c", "select * from users", dbname="shop")
        assert q.stdout.strip() == "1|ann@example.org"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, proc.communicate()[0]
