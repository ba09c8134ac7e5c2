from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

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
