"""What the reports keep: a board month once it is closed."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.types import utcnow
from tracker.extensions import db


class ClosedMonth(db.Model):
    """A board month closed: its report as it stood that day, the page's report, the PDF
    and the workbook, byte for byte, so it reads the same whatever is edited later."""

    __tablename__ = "closed_months"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # "2026-10"
    prepared_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary)

    closed_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"board report {self.month}"
