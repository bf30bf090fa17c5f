"""JSON Schema (draft 2020-12) for JSON Feed 1.1, written from https://www.jsonfeed.org/version/1.1/.

The spec's rules, as the spec states them: required fields, types, "at least one of"
constraints, the deprecated 1.0 `author` still allowed, and extensions (keys starting
with an underscore) allowed at every level. Dates are RFC 3339 (checked by pattern, as
jsonschema checks the "date-time" format only with optional packages installed).
"""

RFC3339 = (
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
EXTENSIONS = {"^_": {}}

AUTHOR = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "url": {"type": "string"},
        "avatar": {"type": "string"},
    },
    "patternProperties": EXTENSIONS,
    "additionalProperties": False,
    "anyOf": [{"required": ["name"]}, {"required": ["url"]}, {"required": ["avatar"]}],
}

ATTACHMENT = {
    "type": "object",
    "required": ["url", "mime_type"],
    "properties": {
        "url": {"type": "string"},
        "mime_type": {"type": "string"},
        "title": {"type": "string"},
        "size_in_bytes": {"type": "number", "minimum": 0},
        "duration_in_seconds": {"type": "number", "minimum": 0},
    },
    "patternProperties": EXTENSIONS,
    "additionalProperties": False,
}

ITEM = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "url": {"type": "string"},
        "external_url": {"type": "string"},
        "title": {"type": "string"},
        "content_html": {"type": "string"},
        "content_text": {"type": "string"},
        "summary": {"type": "string"},
        "image": {"type": "string"},
        "banner_image": {"type": "string"},
        "date_published": {"type": "string", "pattern": RFC3339},
        "date_modified": {"type": "string", "pattern": RFC3339},
        "authors": {"type": "array", "items": AUTHOR},
        "author": AUTHOR,
        "tags": {"type": "array", "items": {"type": "string"}},
        "language": {"type": "string"},
        "attachments": {"type": "array", "items": ATTACHMENT},
    },
    "patternProperties": EXTENSIONS,
    "additionalProperties": False,
    "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
}

JSON_FEED_1_1 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "JSON Feed 1.1",
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": {"type": "string"},
        "feed_url": {"type": "string"},
        "description": {"type": "string"},
        "user_comment": {"type": "string"},
        "next_url": {"type": "string"},
        "icon": {"type": "string"},
        "favicon": {"type": "string"},
        "authors": {"type": "array", "items": AUTHOR},
        "author": AUTHOR,
        "language": {"type": "string"},
        "expired": {"type": "boolean"},
        "hubs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "url"],
                "properties": {"type": {"type": "string"}, "url": {"type": "string"}},
            },
        },
        "items": {"type": "array", "items": ITEM},
    },
    "patternProperties": EXTENSIONS,
    "additionalProperties": False,
}
