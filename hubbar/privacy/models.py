"""Texts about personal data that admins edit: the privacy notice and the record of processing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hubbar.accounts.models import User
from hubbar.db import UTCDateTime, utcnow
from hubbar.extensions import db


class SiteText(db.Model):
    """One edited section of a page, in one language. A section nobody has edited shows the
    text that ships with hubbar; an admin's edit replaces it for that language."""

    __tablename__ = "site_texts"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    locale: Mapped[str] = mapped_column(String(5), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint("locale IN ('sv', 'en')", name="valid_locale"),)
