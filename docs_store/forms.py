"""Form fields and patches read through their pydantic models: a field that does not fit is an ``Invalid``
naming it by its path (``body.data.text``), like the JSON bodies' errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from meetings.errors import invalid_from


def parse_form(fields: Mapping[str, str], model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise invalid_from(exc, ("body",)) from None
