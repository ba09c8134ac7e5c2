from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import relationship

from base import Base


class Parent(Base):
    __tablename__ = "parent"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    children = relationship("Child", back_populates="parent", passive_deletes=True)
