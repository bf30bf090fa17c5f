"""The committed audience data file (`content/audience.json`): read, check, write atomically.

The file is written by `invoke audience-import` and `invoke audience-sync` and read by
every build, so a half-written or hand-damaged file must be caught with a message that
says how to repair it, never turned into a broken form. Pelican has no reader for .json
files, so it never becomes a page.
"""

import json
import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from possibility.common import PossibilityError, same_bytes, write_atomically

from .embed_import import FORMAT, LINK_SCHEMES, PERMISSIONS, TEXT_TYPES, read_embed_code

REPAIR = "re-create it with `invoke audience-import EMBED_CODE_FILE`"


class AudienceFileError(PossibilityError, ValueError):
    """The audience file cannot be used; the message names the file and the fix."""


class AudienceImport(NamedTuple):
    """What `import_embed_code` did: the data written, whether the file changed, and a
    "left out: <input name=X>: ..." line for each input of the embed code the form does
    not offer (the author must hear of every one)."""

    data: dict
    changed: bool
    left_out: tuple = ()


def import_embed_code(embed_file, audience_path):
    """Read Mailchimp embed code from `embed_file` and write the audience file from it.

    Nothing is written unless the code parses (EmbedCodeError otherwise). Ids recorded by
    an earlier `audience-sync` for the same list are kept for groups that still exist by
    name, so re-importing an unchanged form changes nothing.
    Returns an AudienceImport (data, changed, left_out).
    """
    try:
        html = Path(embed_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AudienceFileError(f"cannot read the embed code in {embed_file}: {exc}") from None
    embed = read_embed_code(html)
    data = embed.data
    audience_path = Path(audience_path)
    if audience_path.is_file():
        try:
            previous = read_audience(audience_path)
        except AudienceFileError:
            previous = None
        if previous and previous["list_id"] == data["list_id"]:
            _keep_synced_ids(data, previous)
    return AudienceImport(data, write_audience(audience_path, data), embed.left_out)


def _keep_synced_ids(data, previous):
    old = {match_key(c["title"]): c for c in previous["interest_categories"]}
    for index, category in enumerate(data["interest_categories"]):
        before = old.get(match_key(category["title"]))
        if not before:
            continue
        ids = {match_key(g["name"]): g.get("interest_id") for g in before["groups"]}
        for group in category["groups"]:
            if ids.get(match_key(group["name"])):
                group["interest_id"] = ids[match_key(group["name"])]
        if before.get("category_id"):
            groups = category.pop("groups")
            data["interest_categories"][index] = {
                **category, "category_id": before["category_id"], "groups": groups
            }
    for key in ("list_name", "double_optin"):
        if key in previous:
            data[key] = previous[key]


def match_key(name):
    """How names are matched between the form and Mailchimp: case and spacing do not count."""
    return " ".join(str(name).split()).casefold().rstrip(":").strip()


def read_audience(path):
    """The checked audience data in `path`; AudienceFileError if it is unreadable or wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AudienceFileError(f"{path}: cannot be read ({exc}); {REPAIR}") from None
    except json.JSONDecodeError as exc:
        raise AudienceFileError(f"{path}: not valid JSON ({exc}); {REPAIR}") from None
    problems = audience_problems(data)
    if problems:
        raise AudienceFileError(f"{path}: {'; '.join(problems)}; {REPAIR}")
    return data


def audience_problems(data):
    """What is missing or malformed in audience data, as short sentences (empty if fine)."""
    if not isinstance(data, dict):
        return ["the file must hold a JSON object"]
    if data.get("format") != FORMAT:
        return [f"unknown format {data.get('format')!r} (this site reads format {FORMAT})"]
    problems = [
        f"{key!r} is missing or empty"
        for key in ("host", "u", "list_id", "honeypot")
        if not isinstance(data.get(key), str) or not data[key]
    ]
    fields = data.get("fields")
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and f.get("name") and f.get("label") for f in fields
    ):
        problems.append("'fields' must be a list of {name, label, type, required}")
    elif not any(f["name"] == "EMAIL" for f in fields):
        problems.append("'fields' has no EMAIL field")
    else:
        problems += [
            f"field {f['name']!r} has type {f.get('type')!r}, not one of {list(TEXT_TYPES)}"
            for f in fields if f.get("type", "text") not in TEXT_TYPES
        ]
    categories = data.get("interest_categories")
    if not isinstance(categories, list):
        problems.append("'interest_categories' must be a list")
        return problems
    for category in categories:
        groups = category.get("groups") if isinstance(category, dict) else None
        if not isinstance(groups, list) or not category.get("title") or not all(
            isinstance(g, dict) and g.get("name") and g.get("field") and g.get("value")
            for g in groups
        ):
            problems.append(
                "each interest category needs a title and groups of {name, field, value}"
            )
            break
        if category.get("type") not in ("checkboxes", "radio", "dropdown"):
            problems.append(
                f"interest category {category['title']!r} has type {category.get('type')!r}, "
                "not checkboxes, radio or dropdown"
            )
    if PERMISSIONS in data:
        problems += _permission_problems(data[PERMISSIONS])
    return problems


_PERMISSION_FIELD = re.compile(r"^gdpr\[\w+\]$")
_PERMISSION_SHAPE = (
    f"{PERMISSIONS!r} must be {{title, intro, permissions, notes}}: permissions a list of "
    "{field: 'gdpr[ID]', label, value}, intro and notes lists of paragraphs, each a list of "
    "{text} or {text, href} runs"
)


def _permission_problems(block):
    """What is wrong with the marketing permissions (GDPR) part of the audience data."""
    if not isinstance(block, dict) or not isinstance(block.get("permissions"), list) \
            or not block["permissions"]:
        return [_PERMISSION_SHAPE]
    if block.get("title") is not None and not isinstance(block["title"], str):
        return [_PERMISSION_SHAPE]
    for permission in block["permissions"]:
        if not isinstance(permission, dict) or not all(
            isinstance(permission.get(key), str) and permission[key]
            for key in ("field", "label", "value")
        ) or not _PERMISSION_FIELD.match(permission["field"]):
            return [_PERMISSION_SHAPE]
    for key in ("intro", "notes"):
        paragraphs = block.get(key, [])
        if not isinstance(paragraphs, list) or not all(
            isinstance(paragraph, list) and all(_is_run(run) for run in paragraph)
            for paragraph in paragraphs
        ):
            return [_PERMISSION_SHAPE]
    return []


def _is_run(run):
    if not isinstance(run, dict) or not isinstance(run.get("text"), str) or not run["text"]:
        return False
    if set(run) - {"text", "href"}:
        return False
    href = run.get("href")
    return href is None or (
        isinstance(href, str) and urlsplit(href).scheme.lower() in LINK_SCHEMES
    )


def write_audience(path, data):
    """Write `data` to `path` in one step (a reader never sees half a file).

    Returns True when the file changed, False when it already held exactly this.
    """
    path = Path(path)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    if same_bytes(path, data):
        return False
    write_atomically(path, data)
    return True


def describe_audience(data):
    """What the audience data holds, in a few lines for the author."""
    form = f", form {data['form_id']}" if data.get("form_id") else ""
    fields = ", ".join(f["name"] + (" (required)" if f.get("required") else "")
                       for f in data["fields"])
    lines = [f"List {data['list_id']} at {data['host']}{form}", f"Fields: {fields}"]
    for category in data["interest_categories"]:
        groups = ", ".join(
            g["name"] + (f" [{g['interest_id']}]" if g.get("interest_id") else "")
            for g in category["groups"]
        )
        lines.append(f"{category['title']} ({category['type']}) {groups}")
    if not data["interest_categories"]:
        lines.append("No interest groups.")
    block = data.get(PERMISSIONS)
    if block:
        labels = ", ".join(f"{p['label']} ({p['field']})" for p in block["permissions"])
        lines.append(f"{block.get('title') or 'Marketing permissions'} (GDPR): {labels}")
    return lines
