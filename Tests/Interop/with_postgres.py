"""Runs a command beside a throw-away PostgreSQL server: `python with_postgres.py CMD ARGS…`, where
`{postgres}` in an argument becomes the URL of a fresh, empty database. The server is stopped and
removed when the command ends. `make bench` uses it for the PostgreSQL ingest figures."""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import PostgresServer  # noqa: E402


def main(arguments):
    if not arguments:
        sys.exit("usage: with_postgres.py COMMAND [ARGUMENT…]  ({postgres} is replaced by a database URL)")
    folder = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    server = PostgresServer(folder)
    try:
        url = server.database()
        return subprocess.call([argument.replace("{postgres}", url) for argument in arguments])
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
