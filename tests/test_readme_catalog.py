"""The README's catalog emulation example, run as written: psql's \\d, \\dt+
and \\dv see what it registered, and a plain query still reaches the handler."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import run_psql
from test_readme_examples import block, run_script

HEADING = "Catalog emulation: browsing with psql, DBeaver, SQLAlchemy"


def test_readme_catalog_example(tmp_path):
    with run_script(tmp_path, block(HEADING)) as port:
        d = run_psql(port, "-c", r"\d users", dbname="shop")
        assert d.returncode == 0, d.stderr
        assert 'Table "public.users"' in d.stdout
        assert "bigint" in d.stdout and "not null" in d.stdout
        assert "character varying(200)" in d.stdout
        assert '"users_pkey" PRIMARY KEY, btree (id)' in d.stdout
        assert 'TABLE "orders" CONSTRAINT "orders_user_id_fkey" FOREIGN KEY (user_id) ' \
            'REFERENCES users(id)' in d.stdout, d.stdout
        orders = run_psql(port, "-c", r"\d orders", dbname="shop")
        assert "Foreign-key constraints:" in orders.stdout, orders.stdout + orders.stderr
        assert '"orders_user_id_fkey" FOREIGN KEY (user_id) REFERENCES users(id)' in orders.stdout
        dplus = run_psql(port, "-c", r"\d+ users", dbname="shop")
        assert "where we write" in dplus.stdout, dplus.stdout + dplus.stderr
        dt = run_psql(port, "-c", r"\dt+", dbname="shop")
        assert "people who bought something" in dt.stdout, dt.stdout + dt.stderr
        dv = run_psql(port, "-At", "-c", r"\dv", dbname="shop")
        assert dv.stdout.strip().startswith("public|recent_users|view"), dv.stdout + dv.stderr
        q = run_psql(port, "-At", "-c", "select * from users", dbname="shop")
        assert q.stdout.strip() == "1|ann@example.org"


def test_readme_odbc_block_lists_what_the_example_registered(tmp_path):
    """The ODBC block, run as written (its port changed) through psqlODBC
    against the example above: the tables, the columns of ``users`` with
    PostgreSQL's type names, and the foreign key of ``orders``."""
    pytest.importorskip("pyodbc", reason="pyodbc is not installed: `make test` installs the "
                        "test extras")
    import pyodbc
    if "PostgreSQL Unicode" not in pyodbc.drivers():
        pytest.skip("psqlODBC is not registered with unixODBC; `make test` installs Debian's "
                    "odbc-postgresql")
    odbc = block(HEADING, 1)
    with run_script(tmp_path, block(HEADING)) as port:
        script = tmp_path / "odbc_example.py"
        script.write_text(odbc.replace("PORT=5433", "PORT=%d" % port) + "\n")
        res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                             timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "['orders', 'recent_users', 'users']",
        "[('id', 'int8'), ('email', 'varchar')]",
        "[('orders', 'user_id')]",
    ], res.stdout
