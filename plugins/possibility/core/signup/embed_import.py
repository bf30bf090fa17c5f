"""Turn the embed code Mailchimp generates for a list into the form data the theme renders.

Pure: HTML text in, a plain dict out (the content of the audience file), so the author
never copies ids by hand and a wrong paste is caught before anything is written.
Understands the classic, condensed and unstyled embedded forms of every vintage
(with or without `f_id`, `list-manageN.com` hosts), checkbox, radio and dropdown
interest groups, and an EU list's GDPR marketing permissions (`gdpr[ID]` checkboxes with
their heading and paragraphs). Every other input is named in the import's `left_out`
lines, never dropped silently.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from possibility.common import PossibilityError

FORMAT = 1

_HOST = re.compile(r"^(?P<account>[a-z0-9][a-z0-9-]*)\.(?P<dc>[a-z]+\d+)\.list-manage\d*\.com$")
_HEX = re.compile(r"^[0-9a-f]+$")
_GROUP = re.compile(r"^group\[(?P<id>\d+)\](?:\[(?P<bit>\d+)\])?$")
_MERGE_TAG = re.compile(r"^[A-Z][A-Z0-9_]*$")
_GDPR = re.compile(r"^gdpr\[(?P<id>\w+)\]$")
PERMISSIONS = "marketing_permissions"
LINK_SCHEMES = ("http", "https", "mailto")
TEXT_TYPES = ("email", "text", "tel", "url", "number")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
_CLOSES_ITSELF = {"li", "option", "p"}
HOW_TO_GET_IT = (
    "In Mailchimp open Audience > Signup forms > Embedded forms, copy the whole code "
    "and paste it into the file."
)


class EmbedCodeError(PossibilityError, ValueError):
    """The HTML is not a usable Mailchimp embedded signup form; the message says why."""


@dataclass(frozen=True)
class EmbedImport:
    """What the embed code gave: the audience `data`, and a `left_out` line for each input
    the site's form does not offer ("left out: <input name=X>: not a field this form
    knows"), in form order."""

    data: dict
    left_out: tuple = ()


class _Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = {name: value or "" for name, value in attrs}
        self.parent = parent
        self.children = []

    def iter(self, tag=None):
        for child in self.children:
            if isinstance(child, _Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def text(self):
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag not in ("script", "style"):
                parts.append(child.text())
        return " ".join("".join(parts).split())

    def classes(self):
        return self.attrs.get("class", "").split()


class _TreeBuilder(HTMLParser):
    """A forgiving HTML tree: pasted embed code is a fragment, often with loose markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", [])
        self.open = [self.root]
        self.scripts = []

    def handle_starttag(self, tag, attrs):
        if tag in _CLOSES_ITSELF and self.open[-1].tag == tag:
            self.open.pop()
        node = _Node(tag, attrs, self.open[-1])
        self.open[-1].children.append(node)
        if tag not in _VOID:
            self.open.append(node)

    def handle_startendtag(self, tag, attrs):
        self.open[-1].children.append(_Node(tag, attrs, self.open[-1]))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, 0, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        self.open[-1].children.append(data)
        if self.open[-1].tag == "script":
            self.scripts.append(data)


def parse_embed_code(html):
    """The audience data (a dict ready for the audience file) described by Mailchimp embed code.

    Raises EmbedCodeError, naming what is missing or wrong, when `html` is not the embed
    code of a Mailchimp signup form.
    """
    return read_embed_code(html).data


def read_embed_code(html):
    """The EmbedImport of Mailchimp embed code: the audience data and what was left out.

    Raises EmbedCodeError as parse_embed_code does.
    """
    if not html or not html.strip():
        raise EmbedCodeError(f"the file is empty. {HOW_TO_GET_IT}")
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    root = builder.root

    form = _find_signup_form(root, builder.scripts)
    action = _parse_action(form.attrs["action"])
    labels = {node.attrs.get("for"): node.text() for node in root.iter("label")}
    fields = _merge_fields(form, labels)
    if not any(field["name"] == "EMAIL" for field in fields):
        raise EmbedCodeError(
            "the form has no EMAIL field, which every Mailchimp signup form has: "
            f"the code looks cut short or edited. {HOW_TO_GET_IT}"
        )
    honeypot = next(
        (node.attrs["name"] for node in form.iter("input")
         if node.attrs.get("name", "").startswith("b_")),
        f"b_{action['u']}_{action['list_id']}",
    )
    data = {
        "format": FORMAT,
        **action,
        "honeypot": honeypot,
        "fields": fields,
        "interest_categories": _interest_categories(form, labels),
    }
    permissions = _marketing_permissions(form, labels)
    if permissions:
        data[PERMISSIONS] = permissions
    return EmbedImport(data, tuple(_left_out(form, data)))


def _find_signup_form(root, scripts):
    forms = list(root.iter("form"))
    for form in forms:
        if "list-manage" in form.attrs.get("action", ""):
            return form
    if any("chimpstatic.com/mcjs-connected" in script for script in scripts):
        raise EmbedCodeError(
            "this is Mailchimp's pop-up / connected-site script, not the embedded form's code. "
            + HOW_TO_GET_IT
        )
    if forms:
        actions = ", ".join(repr(form.attrs.get("action", "")) for form in forms)
        raise EmbedCodeError(
            f"no Mailchimp signup form here: the form posts to {actions}, not to a "
            f"…list-manage.com/subscribe/post address. {HOW_TO_GET_IT}"
        )
    raise EmbedCodeError(f"this is not Mailchimp embed code: it has no <form>. {HOW_TO_GET_IT}")


def _parse_action(action):
    parts = urlsplit(action.strip())
    match = _HOST.match(parts.netloc.lower())
    if not match or parts.path.rstrip("/") != "/subscribe/post":
        raise EmbedCodeError(
            f"the form's action {action!r} is not a Mailchimp signup address "
            "(https://ACCOUNT.DC.list-manage.com/subscribe/post?u=…&id=…)"
        )
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    for name, meaning in (("u", "account"), ("id", "list (audience)")):
        value = query.get(name, "")
        if not _HEX.match(value):
            raise EmbedCodeError(
                f"the form's action {action!r} lacks a valid {name}= (the {meaning} id): "
                "the code looks cut short."
            )
    form_id = query.get("f_id", "")
    if form_id and not _HEX.match(form_id):
        raise EmbedCodeError(f"the form's action {action!r} has an invalid f_id= (form id)")
    return {
        "account": match["account"],
        "dc": match["dc"],
        "host": parts.netloc.lower(),
        "u": query["u"],
        "list_id": query["id"],
        "form_id": form_id or None,
    }


def _merge_fields(form, labels):
    """The simple text-like merge fields (EMAIL, FNAME, ...) in form order.

    Compound fields (ADDRESS[addr1], BIRTHDAY[month]) and hidden ones are left out: the
    site's form does not offer them.
    """
    fields = []
    for node in form.iter("input"):
        name = node.attrs.get("name", "")
        kind = node.attrs.get("type", "text").lower()
        if not _MERGE_TAG.match(name) or kind not in TEXT_TYPES:
            continue
        if any(field["name"] == name for field in fields):
            continue
        raw_label = labels.get(node.attrs.get("id"), "") or name
        required = (
            "required" in node.attrs or "required" in node.classes() or "*" in raw_label
        )
        fields.append({
            "name": name,
            "label": raw_label.replace("*", "").strip() or name,
            "type": "email" if name == "EMAIL" else kind,
            "required": name == "EMAIL" or required,
        })
    return fields


def _interest_categories(form, labels):
    categories = {}
    for node in form.iter():
        name = node.attrs.get("name", "")
        match = _GROUP.match(name)
        if not match or node.attrs.get("type", "").lower() == "hidden":
            continue
        group_id, bit = match["id"], match["bit"]
        if node.tag == "select":
            category = _category(categories, group_id, "dropdown", node, labels)
            for option in node.iter("option"):
                value = option.attrs.get("value", "")
                if value:
                    category["groups"].append(
                        {"name": option.text(), "field": name, "value": value}
                    )
        elif node.tag == "input" and node.attrs.get("type", "").lower() in ("checkbox", "radio"):
            kind = "checkboxes" if node.attrs["type"].lower() == "checkbox" else "radio"
            category = _category(categories, group_id, kind, node, labels)
            value = node.attrs.get("value") or bit or ""
            if not value:
                raise EmbedCodeError(f"the interest group field {name!r} has no value")
            label = labels.get(node.attrs.get("id"), "")
            if not label:
                raise EmbedCodeError(f"the interest group field {name!r} has no label")
            category["groups"].append({"name": label, "field": name, "value": value})
    return [category for category in categories.values() if category["groups"]]


def _category(categories, group_id, kind, node, labels):
    if group_id not in categories:
        categories[group_id] = {
            "group_id": group_id,
            "title": _category_title(group_id, node, labels),
            "type": kind,
            "groups": [],
        }
    return categories[group_id]


def _category_title(group_id, node, labels):
    """The category's title: the <strong> (or <label> of a dropdown) of its field group."""
    if node.tag == "select" and labels.get(node.attrs.get("id")):
        return labels[node.attrs["id"]]
    container = node.parent
    while container is not None and "mc-field-group" not in container.classes():
        container = container.parent
    for candidate in (container.iter() if container else ()):
        if candidate.tag in ("strong", "legend", "b") and candidate.text():
            return candidate.text()
    raise EmbedCodeError(
        f"the interest category group[{group_id}] has no title (the <strong> text Mailchimp "
        "puts above its choices)"
    )


def _marketing_permissions(form, labels):
    """An EU list's GDPR block: its heading, the paragraphs before and after the checkboxes
    (the legal text included) and one {field, label, value} per `gdpr[ID]` checkbox; None
    when the form has none.

    Paragraphs keep their words and links: a list of runs, {"text"} or {"text", "href"}
    (absolute http(s) and mailto links only; any other link keeps its words, not its href).
    """
    inputs = [
        node for node in form.iter("input")
        if _GDPR.match(node.attrs.get("name", ""))
        and node.attrs.get("type", "").lower() == "checkbox"
    ]
    if not inputs:
        return None
    block = next((node for node in form.iter() if node.attrs.get("id") == "mergeRow-gdpr"), None)
    permissions = []
    for node in inputs:
        name = node.attrs["name"]
        if any(p["field"] == name for p in permissions):
            continue
        label = _enclosing_label(node) or labels.get(node.attrs.get("id"), "")
        if not label:
            raise EmbedCodeError(f"the marketing permission {name!r} has no label")
        permissions.append({"field": name, "label": label, "value": node.attrs.get("value") or "Y"})
    intro, notes = [], []
    title = None
    if block is not None:
        first_input = inputs[0]
        for node in block.iter():
            if node.tag == "label" and "for" not in node.attrs and not any(node.iter("input")):
                title = title or node.text() or None
            elif node.tag == "p" and not _inside(node, "p"):
                paragraph = _runs(node)
                if paragraph:
                    (notes if _follows(first_input, node, block) else intro).append(paragraph)
    return {"title": title, "intro": intro, "permissions": permissions, "notes": notes}


def _enclosing_label(node):
    parent = node.parent
    while parent is not None and parent.tag != "form":
        if parent.tag == "label":
            return parent.text()
        parent = parent.parent
    return ""


def _inside(node, tag):
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def _follows(first, node, block):
    """True when `node` comes after `first` in document order within `block`."""
    for candidate in block.iter():
        if candidate is first:
            return True
        if candidate is node:
            return False
    return False


def _runs(paragraph):
    """The paragraph's words as runs: {"text"} and {"text", "href"} for links."""
    runs = []

    def walk(node):
        for child in node.children:
            if isinstance(child, str):
                runs.append({"text": child})
            elif child.tag in ("script", "style"):
                continue
            elif child.tag == "br":
                runs.append({"text": " "})
            elif child.tag == "a":
                text = child.text()
                href = child.attrs.get("href", "").strip()
                if text and urlsplit(href).scheme.lower() in LINK_SCHEMES:
                    runs.append({"text": text, "href": href})
                else:
                    runs.append({"text": text})
            else:
                walk(child)

    walk(paragraph)
    merged = []
    for run in runs:
        if merged and "href" not in run and "href" not in merged[-1]:
            merged[-1] = {"text": merged[-1]["text"] + run["text"]}
        else:
            merged.append(dict(run))
    for run in merged:
        text = " ".join(run["text"].split())
        edges = run["text"][:1].isspace(), run["text"][-1:].isspace()
        if "href" not in run and text:
            text = (" " if edges[0] else "") + text + (" " if edges[1] else "")
        run["text"] = text
    merged = [run for run in merged if run["text"]]
    if merged:
        merged[0]["text"] = merged[0]["text"].lstrip()
        merged[-1]["text"] = merged[-1]["text"].rstrip()
    return [run for run in merged if run["text"]]


def _left_out(form, data):
    """A line for each named input, select or textarea the site's form will not send."""
    known = {field["name"] for field in data["fields"]}
    known.add(data["honeypot"])
    known.update(
        group["field"] for category in data["interest_categories"] for group in category["groups"]
    )
    known.update(p["field"] for p in (data.get(PERMISSIONS) or {}).get("permissions", ()))
    lines, seen = [], set()
    for node in form.iter():
        if node.tag not in ("input", "select", "textarea"):
            continue
        name = node.attrs.get("name", "")
        kind = node.attrs.get("type", "").lower()
        if not name or (node.tag == "input" and kind in ("submit", "button", "reset", "image")):
            continue  # a button, or a control the browser never sends
        if (name in known and kind != "hidden") or (node.tag, name) in seen:
            continue
        seen.add((node.tag, name))
        lines.append(f"left out: <{node.tag} name={name}>: not a field this form knows")
    return lines
