"""Form fields and patches read through their pydantic models: a field that does not fit is an ``Invalid``
naming it by its path (``body.data.text``), like the JSON bodies' errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from meetings.errors import FieldError, Invalid


def invalid_from(exc: ValidationError, prefix: tuple[str, ...]) -> Invalid:
    errors = [FieldError(prefix + tuple(e["loc"]), e["msg"]) for e in exc.errors()]
    where = ".".join(str(p) for p in errors[0].loc)
    return Invalid(f"invalid {where}: {errors[0].msg}", errors)


def parse_form(fields: Mapping[str, str], model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise invalid_from(exc, ("body",)) from None
