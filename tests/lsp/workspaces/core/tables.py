from sqlalchemy import Column, ForeignKey, ForeignKeyConstraint, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

metadata = MetaData()

account = Table(
    "account",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(200), nullable=False, unique=True),
)

session = Table(
    "session",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("account.id", ondelete="CASCADE", name="fk_session_account")),
)


class Base(DeclarativeBase):
    pass


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (
        ForeignKeyConstraint(
            ["account_id", "session_id"],
            ["session.account_id", "session.id"],
            ondelete="CASCADE",
        ),
    )

    account_id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(primary_key=True)
