"""The declarative base every table shares."""

from __future__ import annotations

from sqlalchemy import MetaData, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base sharing one MetaData with a stable constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def pk() -> Mapped[str]:
    """A TEXT primary key, as every seed table has."""
    return mapped_column(Text, primary_key=True)
