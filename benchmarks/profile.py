"""``python -m benchmarks.profile [SUBJECT] [--html FILE]``: pyinstrument's profile of many
requests of one in-process subject (default ``authadapter_sqlite``, the signed-in request on
SQLite), to see where a signed-in request spends its time. Subjects are the keys of
``benchmarks/inprocess.py``'s SUBJECTS (``authadapter_postgres`` starts PostgreSQL)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .databases import Databases
from .inprocess import SUBJECTS, prepare


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("subject", nargs="?", default="authadapter_sqlite")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML here")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        parser.error("pyinstrument is missing: pip install -e '.[bench]'")
    chosen = [s for s in SUBJECTS if s.key == args.subject]
    if not chosen:
        parser.error(f"unknown subject; one of: {', '.join(s.key for s in SUBJECTS)}")
    subject = chosen[0]
    databases = Databases(postgres=subject.database == "postgres")
    try:
        call = prepare(subject, databases)
        call.loop(1000)  # warm-up
        profiler = Profiler(interval=0.0001)
        profiler.start()
        seconds = call.loop(args.requests)
        profiler.stop()
    finally:
        databases.close()
    print(f"{subject.label}: {seconds * 1e6:.1f} us per request under the profiler\n")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
