"""Masked forms of contact details: enough for a cashier or manager to confirm "is this you?" with the
customer, too little to contact them. They are computed after decrypting and never stored.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberFormat

STARS = "****"


def mask_phone(e164: str) -> str:
    """'+8613800138000' → '138****8000'; '+447911123456' → '+44 7*** ***456'.

    Chinese numbers are shown as cashiers say them (national digits, first 3 and last 4); other
    countries keep their code so the cashier knows it is a foreign number.
    """
    number = phonenumbers.parse(e164)
    if phonenumbers.region_code_for_number(number) == "CN":
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        digits = "".join(char for char in national if char.isdigit())
        return digits[:3] + STARS + digits[-4:]
    international = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    prefix, _, rest = international.partition(" ")
    positions = [index for index, char in enumerate(rest) if char.isdigit()]
    shown = set(positions[:1] + positions[-3:])
    masked = "".join("*" if char.isdigit() and index not in shown else char
                     for index, char in enumerate(rest))
    return f"{prefix} {masked}"


def mask_email(email: str) -> str:
    """'zhang.san@example.com' → 'z***@example.com': the domain helps tell two addresses apart."""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    """'张三' → '张*', 'John Smith' → 'J*** S****': the first character of each word, as on a receipt."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


def mask_wechat_id(wechat_id: str) -> str:
    """'zhangsan_88' → 'zh***88'."""
    return f"{wechat_id[:2]}***{wechat_id[-2:]}"
