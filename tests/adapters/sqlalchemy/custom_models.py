"""An application's own tables, as an app that already has users would have them.

Other table names, integer autoincrement ids, naive ``DateTime`` columns (the adapter must
store and read them as UTC), and extra columns on users (``role``, ``phone``), accounts
(``tenant``) and sessions (``ip_address``) that round-trip through ``extra``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Naive on PostgreSQL (``timestamp without time zone``), microseconds on MariaDB.
NaiveDateTime = DateTime(timezone=False).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class Base(DeclarativeBase):
    pass


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    email_verified: Mapped[datetime | None] = mapped_column(NaiveDateTime)
    name: Mapped[str | None] = mapped_column(String(100))
    image: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(32), default="member")
    phone: Mapped[str | None] = mapped_column(String(32))


class LinkedAccount(Base):
    __tablename__ = "linked_accounts"
    __table_args__ = (UniqueConstraint("provider", "provider_account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(64))
    provider_account_id: Mapped[str] = mapped_column(String(255))
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[int | None] = mapped_column(Integer)
    token_type: Mapped[str | None] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(Text)
    id_token: Mapped[str | None] = mapped_column(Text)
    session_state: Mapped[str | None] = mapped_column(String(255))
    tenant: Mapped[str | None] = mapped_column(String(64))


class MemberSession(Base):
    __tablename__ = "member_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_token: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    expires: Mapped[datetime] = mapped_column(NaiveDateTime, index=True)
    created_at: Mapped[datetime | None] = mapped_column(NaiveDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))


class EmailToken(Base):
    __tablename__ = "email_tokens"
    __table_args__ = (UniqueConstraint("identifier", "token"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(String(320))
    token: Mapped[str] = mapped_column(String(128))
    expires: Mapped[datetime] = mapped_column(NaiveDateTime, index=True)


MODELS = {
    "user_model": Member,
    "account_model": LinkedAccount,
    "session_model": MemberSession,
    "verification_token_model": EmailToken,
}
