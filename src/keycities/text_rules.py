"""The one rule for text that becomes a header or an address line: names, subjects, email addresses.

Such text must be one plain line. A line break injects headers; an RFC 2047 encoded word
(`=?utf-8?q?...=0D=0ABcc...?=`) is decoded by mail programs into the same line break after every check of
the raw text; a bidirectional control character makes the text display reversed from what it says.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: all break or hide a line.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Embeddings and overrides (U+202A to U+202E) and isolates (U+2066 to U+2069).
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Python's email parser decodes an encoded word even with spaces inside it (a defect it tolerates).
ENCODED_WORD = re.compile(r"=\?[^?]*\?[a-zA-Z]\?.*?\?=")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be a header or an address line, with the fix; None when it can."""
    if found := CONTROL.search(text):
        return (
            f"a line break or control character (U+{ord(found[0]):04X}) in {_shown(text)}; "
            "write it on one line without it"
        )
    if found := BIDI.search(text):
        return (
            f"a bidirectional control character (U+{ord(found[0]):04X}) in {_shown(text)}, which makes "
            "text display in another order than it is written; remove it"
        )
    if found := ENCODED_WORD.search(text):
        return (
            f"an RFC 2047 encoded word {found[0][:40]!r} in {_shown(text)}, which mail programs decode "
            "into other text (even other headers); write the text itself"
        )
    return None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")
