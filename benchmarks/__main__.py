"""``python -m benchmarks`` (``make bench``): every benchmark figure in one run, one table,
and a JSON file of the results. See benchmarks/README.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from harness.flows import FLOWS, count_flows

from .databases import Databases
from .growth import run_cleanup, run_lookup_growth
from .http import load_generator, run_http
from .inprocess import run_inprocess
from .report import render

SECTIONS = ("inprocess", "http", "counts", "growth", "cleanup")
DEFAULT_OUT = Path(__file__).resolve().parent / "results.json"


def machine(databases: Databases) -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
        "load_average_at_start": os.getloadavg(),
        "packages": {},
        "load_generator": load_generator(),
    }
    for package in (
        "flask",
        "werkzeug",
        "sqlalchemy",
        "flask-sqlalchemy",
        "psycopg",
        "flask-login",
        "flask-security-too",
        "gunicorn",
    ):
        try:
            info["packages"][package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info["packages"][package] = None
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        info["wrk"] = (out.stdout or out.stderr).splitlines()[0].split(" Copyright")[0]
    if databases.server is not None:
        engine = create_engine(databases.server.base_url)
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON file to write")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"sections to run, of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--rounds", type=int, default=9, help="rounds of the in-process timings")
    parser.add_argument("--http-rounds", type=int, default=3)
    parser.add_argument("--http-seconds", type=float, default=5.0)
    parser.add_argument(
        "--quick", action="store_true", help="fewer and shorter rounds (a smoke test)"
    )
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    rounds, batch, warmup = args.rounds, 0.4, 0.5
    http_rounds, http_seconds = args.http_rounds, args.http_seconds
    if args.quick:
        rounds, batch, warmup, http_rounds, http_seconds = 3, 0.1, 0.1, 1, 1.0

    started = time.monotonic()
    print("flask-authadapter benchmark: starting PostgreSQL ...", file=sys.stderr, flush=True)
    databases = Databases(postgres=True)
    if databases.server is None:
        print(f"  no PostgreSQL: {databases.postgres_missing}", file=sys.stderr)
    results: dict[str, Any] = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {
            "rounds": rounds,
            "batch_seconds": batch,
            "warmup_seconds": warmup,
            "http_rounds": http_rounds,
            "http_seconds": http_seconds,
        },
    }
    try:
        results["machine"] = machine(databases)

        def step(name: str) -> None:
            elapsed = time.monotonic() - started
            print(f"[{elapsed:6.1f}s] {name} ...", file=sys.stderr, flush=True)

        if "inprocess" in sections:
            step("per request, in-process WSGI")
            results["inprocess"] = run_inprocess(
                databases, rounds=rounds, batch_seconds=batch, warmup_seconds=warmup
            )
        if "http" in sections:
            step(f"real HTTP: gunicorn and {load_generator()}")
            results["http"] = run_http(databases, rounds=http_rounds, seconds=http_seconds)
        if "counts" in sections:
            step("SQL counts")
            results["counts"] = {}
            for backend in databases.backends:
                engine = create_engine(databases.url(backend, "counts"))
                try:
                    found = count_flows(engine)
                finally:
                    engine.dispose()
                results["counts"][backend] = {flow: found[flow].as_dict() for flow in FLOWS}
        if "growth" in sections:
            results["growth"] = {}
            for backend in databases.backends:
                step(f"lookup growth, {backend}")
                results["growth"][backend] = run_lookup_growth(
                    databases,
                    backend,
                    rounds=rounds,
                    batch_seconds=batch,
                    warmup_seconds=warmup,
                )
        if "cleanup" in sections:
            results["cleanup"] = {}
            for backend in databases.backends:
                step(f"cleanup of 1M expired sessions, {backend}")
                results["cleanup"][backend] = run_cleanup(databases, backend)
    finally:
        databases.close()
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["seconds"] = time.monotonic() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    print(render(results))
    print(f"\nResults written to {args.out} ({results['seconds']:.0f} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
