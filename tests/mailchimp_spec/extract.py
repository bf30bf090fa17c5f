"""Extract the part of Mailchimp's OpenAPI document that this project talks to.

    python tests/mailchimp_spec/extract.py FULL_SPEC.json

reads the official Mailchimp Marketing API document (OpenAPI 3.0, a mechanical conversion of
Mailchimp's Swagger spec; see README.md beside this file for its source and version) and writes
`mailchimp.json` beside this script: every path the mailchimp-marketing client calls here or
the tests' server answers, unchanged, with the document's `components`, `servers`, `security`
and `info`. Prism validates the tests' traffic against that file, so the tests read nothing
outside the repository.
"""

import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "mailchimp.json"
# Anchored regular expressions over the document's path keys.
KEPT_PATHS = (
    r"/",
    r"/ping",
    r"/campaigns(/.*)?",
    r"/lists",
    r"/lists/\{list_id\}",
    r"/lists/\{list_id\}/interest-categories(/.*)?",
    r"/lists/\{list_id\}/members(/\{subscriber_hash\})?",
    r"/lists/\{list_id\}/segments(/\{segment_id\})?",
    r"/reports",
    r"/reports/\{campaign_id\}",
    r"/reports/\{campaign_id\}/(click-details|open-details|unsubscribed|email-activity)",
)


def extract(document):
    """The document with only the kept paths; everything else at the top level as it was."""
    kept = {
        path: operations
        for path, operations in document["paths"].items()
        if any(re.fullmatch(pattern, path) for pattern in KEPT_PATHS)
    }
    part = {key: value for key, value in document.items() if key != "x-doc-structure"}
    part["paths"] = kept
    return part


def main(argv):
    if len(argv) != 2:
        raise SystemExit("usage: python tests/mailchimp_spec/extract.py FULL_SPEC.json")
    source = Path(argv[1]).read_bytes()
    part = extract(json.loads(source))
    part["info"] = {
        **part["info"],
        "x-extracted-from-sha256": hashlib.sha256(source).hexdigest(),
        "x-extracted-paths": len(part["paths"]),
    }
    OUTPUT.write_text(json.dumps(part, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"Wrote {OUTPUT.name}: {len(part['paths'])} paths, version {part['info']['version']}")


if __name__ == "__main__":
    main(sys.argv)
