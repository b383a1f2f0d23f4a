"""The one table of a benchmark run, from its results (as written to the JSON file)."""

from __future__ import annotations

from typing import Any

__all__ = ["TARGETS", "render"]

#: Figure: (comparison, bound), the targets the project set itself. Printed next to the
#: figures, never asserted.
TARGETS: dict[str, tuple[str, float]] = {
    "authadapter_sqlite/bare": ("<=", 1.5),
    "authadapter_sqlite/flask_login_sqlite": ("<=", 0.3),
    "authadapter_postgres/flask_login_postgres": ("<=", 0.5),
    "lookup_1M_1k": ("<=", 1.5),
    "cleanup_longest_transaction": ("<", 1.0),
    "count:signed_in:statements": ("==", 1),
    "count:signed_in_untouched:statements": ("==", 0),
    "count:signed_in:writes": ("==", 0),
}

_LABELS = {
    "bare": "bare Flask (the floor)",
    "authadapter_sqlite": "flask-authadapter, signed in, SQLite",
    "authadapter_sqlite_plain": "flask-authadapter, signed in, view not reading current_user",
    "flask_login_sqlite": "Flask-Login + Flask-SQLAlchemy user_loader, SQLite",
    "flask_security_sqlite": "Flask-Security-Too, signed in, SQLite",
    "authadapter_postgres": "flask-authadapter, signed in, PostgreSQL",
    "flask_login_postgres": "Flask-Login + Flask-SQLAlchemy user_loader, PostgreSQL",
    "raw_sqlite_join": "(the session+user JOIN alone through sqlite3)",
}


def _target(key: str, value: float | None) -> str:
    if key not in TARGETS:
        return ""
    op, bound = TARGETS[key]
    shown = f"{op} {bound:g}"
    met = {
        "<=": value <= bound,
        "<": value < bound,
        "==": value == bound,
    }[op]
    return f"{shown:<7}{'met' if met else 'NOT met'}"


def _spread(figure: dict[str, float]) -> str:
    return f"{figure['low']:.2f}-{figure['high']:.2f}"


_LABEL = 66


def _line(label: str, ratio: str = "", spread: str = "", target: str = "", tail: str = "") -> str:
    """One row: the figure's name, the ratio, its spread, the target, then absolutes."""
    return f"{label:<{_LABEL}} {ratio:>6} {spread:>11}  {target:<17}{tail}".rstrip()


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    m = results.get("machine", {})
    s = results.get("settings", {})
    lines.append(
        f"flask-authadapter benchmark, {results.get('when', '')}: {m.get('cpus')} x "
        f"{m.get('cpu_model')}, Python {m.get('python')}, SQLite {m.get('sqlite')}, "
        f"PostgreSQL {m.get('postgresql') or '(none)'}"
    )
    load = m.get("load_average_at_start")
    if load:
        lines.append(
            f"load average at start {load[0]:.2f}, at end "
            f"{(m.get('load_average_at_end') or [0])[0]:.2f}; every figure: median of the "
            "rounds [lowest-highest round]"
        )
    inprocess = results.get("inprocess")
    if inprocess:
        lines += [
            "",
            f"PER REQUEST, in-process WSGI, {s.get('rounds')} rounds after warm-up: time per "
            "request as a ratio",
            _line("", "ratio", "spread", "target", "     us/request"),
        ]
        for key, data in inprocess["subjects"].items():
            tail = f"{data['microseconds']['median']:15.1f}"
            if key == "bare":
                lines.append(_line(_LABELS[key], "1.00", "", "", tail))
                continue
            ratio = inprocess["ratios"][f"{key}/bare"]
            lines.append(
                _line(
                    f"{_LABELS[key]} / bare",
                    f"{ratio['median']:.2f}",
                    _spread(ratio),
                    _target(f"{key}/bare", ratio["median"]),
                    tail,
                )
            )
        for db, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
            key = f"authadapter_{db}/flask_login_{db}"
            if key in inprocess["ratios"]:
                ratio = inprocess["ratios"][key]
                lines.append(
                    _line(
                        f"flask-authadapter / Flask-Login, {name}",
                        f"{ratio['median']:.2f}",
                        _spread(ratio),
                        _target(key, ratio["median"]),
                    )
                )
    http = results.get("http")
    if http:
        lines += [
            "",
            f"REAL HTTP: gunicorn, {http['workers']} sync workers; {http['load_generator']}, "
            f"{http['connections']} connections on loopback, {http['seconds_per_round']:g} s x "
            f"{s.get('http_rounds')} rounds: requests/s as a ratio",
            _line("", "ratio", "spread", "", "     req/s  p50 ms  p99 ms"),
        ]
        for key, data in http["subjects"].items():
            tail = (
                f"{data['requests_per_second']['median']:10.0f}"
                f"{data.get('p50_ms', 0):8.2f}{data.get('p99_ms', 0):8.2f}"
            )
            if key == "bare":
                lines.append(_line(_LABELS[key], "1.00", "", "", tail))
                continue
            ratio = http["ratios"][f"{key}/bare"]
            lines.append(
                _line(f"{_LABELS[key]} / bare", f"{ratio['median']:.2f}", _spread(ratio), "", tail)
            )
        for db, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
            key = f"authadapter_{db}/flask_login_{db}"
            if key in http["ratios"]:
                ratio = http["ratios"][key]
                lines.append(
                    _line(
                        f"flask-authadapter / Flask-Login, {name}",
                        f"{ratio['median']:.2f}",
                        _spread(ratio),
                    )
                )
    counts = results.get("counts")
    if counts:
        from harness.flows import FLOWS

        backends = list(counts)
        lines += [
            "",
            "SQL PER REQUEST: statements through SQLAlchemy / of which writes / on the wire",
            "(on the wire: SQLite, the statements it ran, BEGIN and COMMIT included; "
            "PostgreSQL, round trips)",
            f"{'':<{_LABEL}}" + "".join(f"{b:>15}" for b in backends) + "   target",
        ]
        for flow, label in FLOWS.items():
            cells = "".join(
                f"{c['statements']:>7} /{c['writes']:>2} /{c['round_trips']:>2}"
                for c in (counts[b][flow] for b in backends)
            )
            target = ""
            if flow == "signed_in":
                ok = all(
                    counts[b][flow]["statements"] == 1 and counts[b][flow]["writes"] == 0
                    for b in backends
                )
                target = f"1 / 0      {'met' if ok else 'NOT met'}"
            elif flow == "signed_in_untouched":
                ok = all(counts[b][flow]["statements"] == 0 for b in backends)
                target = f"0          {'met' if ok else 'NOT met'}"
            lines.append(f"{label:<{_LABEL}}{cells}   {target}".rstrip())
    growth = results.get("growth")
    if growth:
        lines += [
            "",
            "GROWTH: session lookup (adapter.get_session_and_user of random rows)",
            _line("", "ratio", "spread", "target", "     us at 1k / 100k / 1M"),
        ]
        for backend, data in growth.items():
            ratio = data["ratio_1M_1k"]
            us = data["microseconds"]
            tail = (
                f"     {us['1k']['median']:.1f} / {us['100k']['median']:.1f} / "
                f"{us['1M']['median']:.1f}"
            )
            lines.append(
                _line(
                    f"lookup with 1M sessions / with 1k, {backend}",
                    f"{ratio['median']:.2f}",
                    _spread(ratio),
                    _target("lookup_1M_1k", ratio["median"]),
                    tail,
                )
            )
    cleanup = results.get("cleanup")
    if cleanup:
        lines += ["", "CLEANUP: adapter.delete_expired (flask auth cleanup) of 1M expired sessions"]
        for backend, data in cleanup.items():
            longest = data["longest_transaction_seconds"]
            median_ms = data["median_transaction_seconds"] * 1e3
            lines.append(
                _line(
                    f"longest transaction, seconds, {backend}",
                    f"{longest:.3f}",
                    "",
                    _target("cleanup_longest_transaction", longest),
                    f"     {data['seconds']:.1f} s in all, {data['transactions']} transactions "
                    f"of {data['batch_size']} rows, median {median_ms:.1f} ms",
                )
            )
    return "\n".join(lines)
