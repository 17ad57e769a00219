"""Forms of address by UK convention: the address block's first line, the salutation and the close for a
recipient (see the design notes on UK conventions).

- An office that has its own salutation: "Dear Prime Minister", "Dear Chief Secretary".
- A knight or dame: "Sir Gareth Patel" in the address, "Dear Sir Gareth" (the first name, never "Sir Patel").
- A peer: the territorial designation stays in the address and leaves the salutation ("The Lord Ashworth of
  Thornbury" -> "Dear Lord Ashworth").
- A council leader: "Councillor Jo Bloggs", "Dear Councillor Bloggs".
- An MP or anyone else: "Dear Ms Creagh" with an honorific, "Dear Mary Creagh" without one.
- "Yours faithfully" only after "Dear Sir or Madam"; "Yours sincerely" after a name or an office.
"""

from __future__ import annotations

import re

UNKNOWN_PERSON = "Dear Sir or Madam"
SALUTATION_BY_ROLE = {
    "prime-minister": "Dear Prime Minister",
    "chancellor": "Dear Chancellor",
    "chief-secretary": "Dear Chief Secretary",
    "secretary-of-state": "Dear Secretary of State",
    "minister": "Dear Minister",
    "first-minister": "Dear First Minister",
    "lord-mayor": "Dear Lord Mayor",
}
TITLES = ("Sir", "Dame")  # go before the name, and take the first name in a salutation
PEERAGE = re.compile(r"^(?:The\s+)?(Lord|Lady|Baroness|Baron|Viscount|Viscountess|Earl|Countess)\s+(.+)$")
TERRITORIAL = re.compile(r"\s+of\s+")  # "Ashworth of Thornbury": the designation after "of"
COUNCILLOR = re.compile(r"^(Councillor|Cllr)\b", re.IGNORECASE)


def holder_line(
    role: str, name: str, honorific: str | None, style: str | None, post_nominals: str | None
) -> str:
    """The address block's first line: "The Rt Hon Theresa May MP", "Sir David Amess MP", "Councillor Jo
    Bloggs", "The Lord Ashworth of Thornbury"."""
    titled = f"{honorific} {name}" if honorific in TITLES and not name.startswith(f"{honorific} ") else name
    if role == "council-leader" and not style and not COUNCILLOR.match(name):
        titled = f"Councillor {titled}"
    return " ".join(part for part in (style, titled, post_nominals) if part)


def salutation(role: str, name: str | None, honorific: str | None) -> str:
    """ "Dear ..." for a recipient, by UK convention."""
    if role in SALUTATION_BY_ROLE:
        return SALUTATION_BY_ROLE[role]
    if role == "office" or not name:
        return UNKNOWN_PERSON
    words = name.split()
    if role == "peer":
        peerage = PEERAGE.match(name)
        if peerage:  # "The Lord Ashworth of Thornbury" -> "Lord Ashworth"
            rank, rest = peerage.groups()
            title = TERRITORIAL.split(rest)[0].strip()
            return f"Dear {rank} {title}"
        return f"Dear {name}"
    if role == "council-leader":
        return f"Dear Councillor {words[-1]}"
    title = honorific if honorific in TITLES else next((word for word in TITLES if words[0] == word), None)
    if title:
        first = words[1] if words[0] == title and len(words) > 1 else words[0]
        return f"Dear {title} {first}"
    if honorific:
        return f"Dear {honorific} {words[-1]}"
    return f"Dear {name}"


def close_for(salutation_text: str) -> str:
    """ "Yours faithfully" after "Dear Sir or Madam", else "Yours sincerely"."""
    return "Yours faithfully" if salutation_text == UNKNOWN_PERSON else "Yours sincerely"
