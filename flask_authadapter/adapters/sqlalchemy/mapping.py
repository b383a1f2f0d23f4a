"""How one record type (User, Account, ...) maps onto one table's columns.

A :class:`RecordTable` is built once per adapter from a model (a mapped class or a
:class:`~sqlalchemy.Table`). It knows which column holds each field, which further columns
are ``extra``, and converts values both ways: ids to ``str`` and back to the column's type,
datetimes to UTC (SQLite and MySQL hand back naive ones), and refuses values the column
cannot hold before anything reaches the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    cast,
    literal,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Row
from sqlalchemy.exc import NoInspectionAvailable
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import DateTime

from ...core.errors import ConfigurationError, InvalidValue
from ...core.models import field_names
from ...core.values import check_text, to_utc

R = TypeVar("R")

#: The smallest unbounded text column among the supported databases (MySQL's TEXT).
TEXT_MAX_BYTES = 65_535


def _columns_by_key(model: object) -> tuple[Table, dict[str, Column[Any]]]:
    """The table behind ``model`` and its columns by attribute name."""
    if isinstance(model, Table):
        return model, {c.key: c for c in model.columns}
    try:
        mapper = sa_inspect(model)
    except NoInspectionAvailable:
        raise ConfigurationError(f"{model!r} is neither a mapped class nor a Table") from None
    table = getattr(mapper, "local_table", None)
    if not isinstance(table, Table):
        raise ConfigurationError(f"{model!r} is not mapped to a single table")
    columns: dict[str, Column[Any]] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if isinstance(column, Column) and column.table is table:
            columns[attr.key] = column
    return table, columns


def _python_type(column: Column[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class _Field:
    name: str
    column: Column[Any]
    is_datetime: bool
    keeps_zone: bool
    is_int: bool
    int_bits: int
    max_length: int | None
    is_text: bool


class RecordTable(Generic[R]):
    """The columns of one table, seen as the fields and extras of record type ``R`` (a
    dataclass of :mod:`flask_authadapter.core.models`)."""

    def __init__(
        self,
        kind: str,
        record_type: type[R],
        model: object,
        *,
        required: Sequence[str],
        has_extra: bool = True,
    ) -> None:
        self.kind = kind
        self.record_type = record_type
        self.model = model
        self.table, by_key = _columns_by_key(model)
        missing = [name for name in required if name not in by_key]
        if missing:
            raise ConfigurationError(
                f"{kind} model {self.table.name!r} has no column for: {', '.join(missing)}"
            )
        fields = field_names(record_type)
        self.field_names = tuple(name for name in fields if name in by_key)
        field_columns = {by_key[name] for name in self.field_names}
        # A primary key column that is no field (an accounts.id, say) is the table's own
        # business: generated on insert, never shown as extra.
        self.surrogate_keys = tuple(
            c for c in self.table.primary_key.columns if c not in field_columns
        )
        self.extra_names = (
            tuple(
                key
                for key, column in by_key.items()
                if key not in fields and column not in self.surrogate_keys
            )
            if has_extra
            else ()
        )
        self.has_extra = has_extra
        self._fields = {
            key: self._describe(key, by_key[key]) for key in (*self.field_names, *self.extra_names)
        }
        self._select_columns: tuple[ColumnElement[Any], ...] = tuple(
            f.column.label(f"{self.table.name}__{f.name}") for f in self._fields.values()
        )

    @staticmethod
    def _describe(name: str, column: Column[Any]) -> _Field:
        column_type = column.type
        length = getattr(column_type, "length", None)
        is_string = isinstance(column_type, String)
        return _Field(
            name=name,
            column=column,
            is_datetime=isinstance(column_type, DateTime),
            keeps_zone=bool(getattr(column_type, "timezone", False)),
            is_int=isinstance(column_type, Integer) or _python_type(column) is int,
            int_bits=_integer_bits(column_type),
            max_length=length if is_string and isinstance(length, int) else None,
            is_text=is_string and (isinstance(column_type, Text) or length is None),
        )

    def column(self, name: str) -> Column[Any]:
        """The column that holds field ``name``."""
        return self._fields[name].column

    def has(self, name: str) -> bool:
        """Whether the table has a column for field or extra ``name``."""
        return name in self._fields

    @property
    def select_columns(self) -> list[ColumnElement[Any]]:
        """The columns to select to build a record, labelled uniquely for joins (built once:
        the same label objects every time, so statements built from them share SQLAlchemy's
        compiled cache entries)."""
        return list(self._select_columns)

    # Values in ---------------------------------------------------------------------
    def bind_value(self, name: str, value: Any) -> Any:
        """``value`` checked and converted for the column of field ``name``."""
        if value is None:
            return None
        spec = self._fields[name]
        label = f"{self.kind}.{name}"
        if isinstance(value, datetime) or spec.is_datetime:
            moment = to_utc(label, value)
            # A column without time zone gets naive UTC: an aware value would be converted
            # by the server (PostgreSQL casts timestamptz to its own zone's local time).
            return moment if spec.keeps_zone else moment.replace(tzinfo=None)
        if spec.is_int and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise InvalidValue(f"{label} must be an integer id") from None
        if spec.is_int and isinstance(value, int) and not isinstance(value, bool):
            limit = 2 ** (spec.int_bits - 1)
            if not -limit <= value < limit:
                raise InvalidValue(f"{label} is out of range for its column")
            return value
        if isinstance(value, str):
            check_text(label, value, max_length=spec.max_length)
            if spec.is_text and len(value.encode("utf-8")) > TEXT_MAX_BYTES:
                raise InvalidValue(f"{label} is longer than {TEXT_MAX_BYTES} bytes")
        return value

    def match(self, pairs: Mapping[str, Any], *, byte_exact: bool = False) -> ColumnElement[bool]:
        """``field == value`` for each pair, values checked and converted for their columns.

        ``byte_exact`` adds a byte-for-byte comparison of text, for databases whose usual
        collations ignore case and trailing spaces (MariaDB/MySQL); the plain comparison
        stays first so that the index is still used.
        """
        clauses: list[ColumnElement[bool]] = []
        for name, value in pairs.items():
            column, bound = self.column(name), self.bind_value(name, value)
            clauses.append(column == bound)
            if byte_exact and isinstance(bound, str):
                clauses.append(exact_text(column, literal(bound, String())))
        return and_(*clauses)

    def values(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Column values (by column key) for field/extra ``changes``, checked and converted."""
        out: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in self._fields:
                where = "field or extra column"
                raise InvalidValue(f"{self.kind} table {self.table.name!r} has no {where} {name!r}")
            out[self._fields[name].column.key] = self.bind_value(name, value)
        return out

    def record_values(self, record: Any) -> dict[str, Any]:
        """Column values for every field of ``record`` and its ``extra`` keys."""
        changes = {name: getattr(record, name) for name in self.field_names}
        extra = getattr(record, "extra", None) or {}
        for key, value in extra.items():
            if key not in self.extra_names:
                raise InvalidValue(
                    f"{self.kind} table {self.table.name!r} has no column for extra {key!r}"
                )
            changes[key] = value
        return self.values(changes)

    def check_required(self, values: Mapping[str, Any], *, inserting: bool) -> None:
        """Refuse None for a NOT NULL column (and, on insert, a missing value for one the
        database cannot fill itself), before the database would."""
        for column in self.table.columns:
            if column.nullable:
                continue
            if not inserting:
                if column.key in values and values[column.key] is None:
                    raise InvalidValue(f"{self.kind}: column {column.name!r} cannot be None")
                continue
            if values.get(column.key) is not None:
                continue
            fills_itself = column.default is not None or column.server_default is not None
            if fills_itself or (column.primary_key and not needs_generated_id(column)):
                continue
            raise InvalidValue(f"{self.kind}: column {column.name!r} needs a value")

    def new_key_values(self) -> dict[str, Any]:
        """Generated values for surrogate keys that the database does not generate."""
        return {
            column.key: str(uuid.uuid4())
            for column in self.surrogate_keys
            if needs_generated_id(column)
        }

    # Values out ----------------------------------------------------------------------
    def reader(self, offset: int = 0) -> Callable[[Sequence[Any]], R]:
        """A function building a record from a row whose columns, from position ``offset``
        on, are :attr:`select_columns` in order: :meth:`from_row` by position, with the
        per-column decisions taken once here instead of on every row (the hot path reads
        a session and its user on every signed-in request)."""
        positions = {name: offset + i for i, name in enumerate(self._fields)}
        fields = tuple((name, positions[name]) for name in self.field_names)
        extras = tuple((name, positions[name]) for name in self.extra_names)
        moments = tuple(name for name, spec in self._fields.items() if spec.is_datetime)
        field_moments = tuple(name for name in moments if name not in self.extra_names)
        extra_moments = tuple(name for name in moments if name in self.extra_names)
        ids = tuple(name for name in ("id", "user_id") if name in self.field_names)
        record_type, has_extra = self.record_type, self.has_extra

        def read(row: Sequence[Any]) -> R:
            values = {name: row[index] for name, index in fields}
            for name in field_moments:
                value = values[name]
                if isinstance(value, datetime):
                    values[name] = _as_utc(value)
            for name in ids:
                value = values[name]
                if value is not None:
                    values[name] = str(value)
            if has_extra:
                extra = {name: row[index] for name, index in extras}
                for name in extra_moments:
                    value = extra[name]
                    if isinstance(value, datetime):
                        extra[name] = _as_utc(value)
                values["extra"] = extra
            return record_type(**values)

        return read

    def from_row(self, row: Row[Any]) -> R:
        """Build a record from a row selected with :attr:`select_columns`."""
        mapping = row._mapping
        prefix = f"{self.table.name}__"
        field_values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, spec in self._fields.items():
            value = mapping[prefix + name]
            if spec.is_datetime and isinstance(value, datetime):
                value = _as_utc(value)
            if name in self.extra_names:
                extra[name] = value
            else:
                field_values[name] = value
        for id_field in ("id", "user_id"):
            if field_values.get(id_field) is not None:
                field_values[id_field] = str(field_values[id_field])
        if self.has_extra:
            field_values["extra"] = extra
        return self.record_type(**field_values)


def exact_text(column: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[bool]:
    """``column`` equals ``value`` byte for byte (binary strings compare without padding)."""
    return cast(column, LargeBinary) == cast(value, LargeBinary)


def needs_generated_id(column: Column[Any]) -> bool:
    """Whether the adapter must generate a value for this key column on insert."""
    if column.default is not None or column.server_default is not None:
        return False
    # An integer key is left to the database's autoincrement.
    return not (isinstance(column.type, Integer) or _python_type(column) is int)


def _integer_bits(column_type: Any) -> int:
    """The width of a signed integer column: 16, 32 or 64 bits."""
    if isinstance(column_type, BigInteger):
        return 64
    if isinstance(column_type, SmallInteger):
        return 16
    return 32


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
