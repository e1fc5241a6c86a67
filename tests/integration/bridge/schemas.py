"""Fifty varied JSON schemas for the SmolLM2 end-to-end test, generated from a seed: nested objects,
arrays (of strings, enums, integers, objects), enums, consts, booleans, nulls, required and optional
properties. Strings, integers and arrays are bounded (maxLength, minimum/maximum, maxItems) as real
API schemas usually are: a 135M model left free repeats an array item or a digit until max_tokens.

Example:
    >>> len(SCHEMAS), SCHEMAS[0][0]
    (50, 'a city')
"""

from __future__ import annotations

import random
from typing import Any

TOPICS = ["a city", "a book", "a person", "a product", "a movie", "a recipe", "a car", "a song", "a planet",
          "a company", "a restaurant", "a sports team", "a country", "a dog", "a laptop", "a museum", "a river",
          "a game", "a school", "a hotel", "a flight", "a painting", "a garden", "a bird", "a phone"]
FIELDS = ["name", "title", "color", "country", "owner", "label", "status", "kind", "brand", "city", "year",
          "size", "price", "rating", "author", "genre", "language", "category", "origin", "style"]
WORDS = ["red", "blue", "green", "small", "large", "new", "old", "open", "closed", "fast", "slow", "north",
         "south", "east", "west", "gold", "silver", "high", "low", "active"]


def _leaf(rng: random.Random, depth: int) -> dict[str, Any]:
    kinds = ["string", "integer", "boolean", "enum", "string_array", "enum_array", "int_array", "const", "null"]
    if depth < 2:
        kinds += ["object", "object", "object_array"]
    kind = rng.choice(kinds)
    if kind == "string":
        return {"type": "string", "maxLength": rng.randint(8, 24)}
    if kind == "integer":
        low = rng.choice([0, 1, 1900])
        return {"type": "integer", "minimum": low, "maximum": low + rng.choice([10, 100, 1000])}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "enum":
        return {"enum": rng.sample(WORDS, rng.randint(2, 4))}
    if kind == "const":
        return {"const": rng.choice(WORDS)}
    if kind == "null":
        return {"type": "null"}
    if kind == "string_array":
        return {"type": "array", "items": {"type": "string", "maxLength": 12}, "minItems": 1,
                "maxItems": rng.randint(1, 3)}
    if kind == "enum_array":
        return {"type": "array", "items": {"enum": rng.sample(WORDS, 3)}, "maxItems": rng.randint(1, 3)}
    if kind == "int_array":
        return {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 99}, "minItems": 1,
                "maxItems": 3}
    if kind == "object":
        return _object(rng, depth + 1, rng.randint(1, 3))
    return {"type": "array", "items": _object(rng, depth + 1, rng.randint(1, 2)), "minItems": 1, "maxItems": 2}


def _object(rng: random.Random, depth: int, size: int) -> dict[str, Any]:
    names = rng.sample(FIELDS, size)
    properties = {name: _leaf(rng, depth) for name in names}
    required = names if rng.random() < 0.7 else names[: max(1, size - 1)]
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def make_schemas(count: int = 50, seed: int = 17) -> list[tuple[str, dict[str, Any]]]:
    """``count`` (topic, schema) pairs, the same for a seed."""
    rng = random.Random(seed)
    return [(TOPICS[i % len(TOPICS)], _object(rng, 0, rng.randint(2, 5))) for i in range(count)]


def schema_prompt(topic: str, schema: dict[str, Any]) -> list[dict[str, str]]:
    """The question asked for a schema (by the end-to-end test and ``benchmarks/structured.py``)."""
    return [{"role": "user", "content": f"Describe {topic} as a JSON object with the fields "
                                        f"{', '.join(schema['properties'])}."}]


SCHEMAS = make_schemas()
