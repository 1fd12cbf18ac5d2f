"""Digests of what a page showed: one function for the rejects' page hash and the records'
content hash (an edit of an article is a change of the latter).

``fields_digest`` hashes named values (sorted by name, JSON, SHA-256). ``content_hash`` is
the digest of an article's content fields after ``normalised_text``: a record already holds
text, not markup (the extraction drops tags, comments and entities), and the hash further
ignores every difference of whitespace and of Unicode normal form, so a page re-rendered
with other spacing or markup is not an edit.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from typing import Any

#: Fields of a record whose change is an edit of the article (not ``views``, not the URL,
#: the date or the section label: those are identity and place, not content).
EDIT_FIELDS: tuple[str, ...] = ("title", "subtitle", "body", "author", "image")


def fields_digest(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of named values: the same values give the same digest in any order."""
    text = json.dumps(dict(fields), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalised_text(value: Any) -> Any:
    """A text as compared for edits: NFC, every run of whitespace one space, trimmed;
    anything that is not a string (None) as it is."""
    if not isinstance(value, str):
        return value
    return " ".join(unicodedata.normalize("NFC", value).split())  # split(): any whitespace


def content_hash(record: Mapping[str, Any]) -> str:
    """Digest of a record's ``EDIT_FIELDS``, normalised: changes when the article is edited."""
    return fields_digest({name: normalised_text(record.get(name)) for name in EDIT_FIELDS})


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The ``EDIT_FIELDS`` whose normalised value differs between two records, in order."""
    return [name for name in EDIT_FIELDS
            if normalised_text(before.get(name)) != normalised_text(after.get(name))]
