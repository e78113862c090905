"""The built-in principles: ids, names and one-line summaries written by this project.

The official THRIVE Assessment Tool texts are copyright of their authors; sites import their own copy.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def _load() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("key_principles.json").read_text("utf-8"))


def default_principles() -> list[dict[str, Any]]:
    return [
        {"id": item["id"], "name": item["name"], "summary": item["summary"], "level": None}
        for item in _load()["items"]
    ]


def catalogue_info() -> dict[str, Any]:
    data = _load()
    return {"id": data["id"], "title": data["title"], "note": data["note"], "scale": data["scale"]}
