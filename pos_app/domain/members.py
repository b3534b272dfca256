"""Member rules: phone numbers, member codes, invite codes, the inviter link."""

from __future__ import annotations

import re
import unicodedata

from pos_app.domain.errors import InvalidInput
from pos_app.domain.ids import CROCKFORD, RandBits, random_code
from pos_app.domain.text import clean_text

_PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
MEMBER_CODE_PREFIX = "M"
MEMBER_CODE_LEN = 10
INVITE_CODE_LEN = 6
MAX_NAME_LEN = 40


def normalize_phone(text: str) -> str:
    """Accept '138 0013 8000', '138-0013-8000', '+86 13800138000'; return 11 digits or refuse."""
    raw = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", str(text or "")))
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("0086"):
        raw = raw[4:]
    if not _PHONE_RE.match(raw):
        raise InvalidInput("member.phone_invalid", phone=str(text))
    return raw


def is_phone_prefix(text: str) -> bool:
    """True when ``text`` can be the beginning of a mainland mobile number (for search-as-you-type)."""
    return bool(re.fullmatch(r"1(?:[3-9][0-9]{0,9})?", text))


def normalize_name(name: str | None) -> str | None:
    """A member's name: free text by the one rule (no control characters), at most MAX_NAME_LEN."""
    if name is None:
        return None
    folded = " ".join(str(name).split())
    if folded and len(folded) > MAX_NAME_LEN:
        raise InvalidInput("member.name_too_long", max_chars=MAX_NAME_LEN)
    return clean_text(name, field="name", max_chars=MAX_NAME_LEN)


def new_member_code(randbits: RandBits) -> str:
    """Printed on the member card as QR/barcode: 'M' + 10 Crockford base32 characters (50 bits)."""
    return MEMBER_CODE_PREFIX + random_code(MEMBER_CODE_LEN, randbits)


def new_invite_code(randbits: RandBits) -> str:
    """Short enough to say over the counter: 6 Crockford characters."""
    return random_code(INVITE_CODE_LEN, randbits)


_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def normalize_code(text: str) -> str:
    """Upper-case, drop spaces and dashes, map look-alikes (O->0, I/L->1, U->V)."""
    cleaned = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(text or ""))).upper().translate(_CONFUSABLE)
    return cleaned


def normalize_member_code(text: str) -> str:
    raw = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(text or ""))).upper()
    if raw.startswith(MEMBER_CODE_PREFIX):
        body = normalize_code(raw[1:])
    else:
        body = normalize_code(raw)
    if len(body) != MEMBER_CODE_LEN or any(c not in CROCKFORD for c in body):
        raise InvalidInput("member.code_invalid", code=str(text))
    return MEMBER_CODE_PREFIX + body


def normalize_invite_code(text: str) -> str:
    code = normalize_code(text)
    if len(code) != INVITE_CODE_LEN or any(c not in CROCKFORD for c in code):
        raise InvalidInput("member.invite_code_invalid", code=str(text))
    return code


def check_inviter(inviter_phone: str, invitee_phone: str) -> None:
    """A member can never invite themselves."""
    if inviter_phone == invitee_phone:
        raise InvalidInput("member.self_invite")
