"""The text of a notice sent by SMS: one message, never a concatenated one (a phone shows split parts out of order
on cheap handsets, and every extra part costs the office a second SMS).

One SMS holds 160 characters of the GSM-7 alphabet (the extension characters ``^{}\\[~]|€`` count twice), or only
70 when a single character outside it forces UCS-2. The notice's texts are typed with typographic dashes and quotes
(``—``, ``“…”``), which are not GSM-7, so they are first turned into their plain forms, and accented Latin letters
into their base letter; only what cannot be written so (an emoji, a non-Latin name) makes the message UCS-2.

What goes in: the notice's first line in Bahasa Indonesia (the subject's Indonesian half — an SMS has no room for
both languages, and the office's language is Indonesian), the registration number when the line does not carry it
already, and a short link to the file (``<public URL>/f/<id>``, ``api.web.views.short_links``) when the
installation's public URL is set. The line is cut (ending in ``...``) so that the number and the link always fit.
"""

from __future__ import annotations

import unicodedata

SMS_GSM7 = 160
SMS_UCS2 = 70
ELLIPSIS = "..."

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
# Typography that reads the same in its plain GSM-7 form.
_PLAIN = str.maketrans({"—": "-", "–": "-", "‒": "-", "−": "-", "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'",
                        "‚": "'", "…": "...", "\u00a0": " ", "•": "-", "→": "->", "×": "x", "«": '"', "»": '"'})


def gsm7_length(text: str) -> int | None:
    """Septets ``text`` takes in GSM-7, or None when it holds a character GSM-7 cannot write."""
    length = 0
    for char in text:
        if char in _GSM7_BASIC:
            length += 1
        elif char in _GSM7_EXTENSION:
            length += 2
        else:
            return None
    return length


def ucs2_length(text: str) -> int:
    """UTF-16 code units: an emoji outside the basic plane takes two."""
    return len(text.encode("utf-16-le")) // 2


def fits_one_sms(text: str) -> bool:
    length = gsm7_length(text)
    return length <= SMS_GSM7 if length is not None else ucs2_length(text) <= SMS_UCS2


def plain(text: str) -> str:
    """``text`` in GSM-7 where it can be without changing what it says: plain dashes and quotes, letters without
    accents the alphabet lacks (``ô`` → ``o``); other characters are kept (they make the message UCS-2)."""
    text = " ".join(text.translate(_PLAIN).split())
    out = []
    for char in text:
        if char in _GSM7_BASIC or char in _GSM7_EXTENSION:
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and gsm7_length(base) is not None else char)
    return "".join(out)


def _cut(line: str, tail: str) -> str:
    """The longest start of ``line`` (ending in ``...`` when cut) that fits one SMS followed by ``tail``."""
    if fits_one_sms(line + tail):
        return line + tail
    low, high = 0, len(line)
    # Fitting gets easier as the line gets shorter (a shorter start may even drop the character that forced UCS-2),
    # so this finds a start that fits, the longest one whenever the whole line has one alphabet.
    while low < high:
        middle = (low + high + 1) // 2
        if fits_one_sms(line[:middle].rstrip() + ELLIPSIS + tail):
            low = middle
        else:
            high = middle - 1
    return line[:low].rstrip() + ELLIPSIS + tail if low else tail.lstrip("\n")


def first_line(subject: str, body: str) -> str:
    """The notice's first line in Bahasa Indonesia: the Indonesian half of the stored subject (``id / en``), else
    the body's first line."""
    line = subject.split(" / ", 1)[0] if subject else ""
    return line.strip() or (body.strip().splitlines() or [""])[0]


def short_link(public_url: str, instance_id: int | None) -> str:
    return f"{public_url.rstrip('/')}/f/{instance_id}" if public_url and instance_id is not None else ""


def compose(line: str, registration_no: str | None = None, link: str = "") -> str:
    """One SMS: ``line``, the registration number (unless ``line`` carries it and fits whole) and ``link``, a line
    each; the number and the link are never cut, the line is."""
    line, number = plain(line), registration_no or ""
    link_tail = f"\n{link}" if link else ""
    if number and number in line and fits_one_sms(line + link_tail):
        return line + link_tail
    if number in line:  # cutting the line could cut the number: it goes on a line of its own instead
        line = " ".join(line.replace(number, "").split()) if number else line
    number_tail = f"\n{number}" if number else ""
    text = _cut(line, number_tail + link_tail)
    return text if fits_one_sms(text) else _cut(line, number_tail)  # no room for the link beside a UCS-2 line


def for_notice(subject: str, body: str, *, registration_no: str | None, instance_id: int | None,
               public_url: str) -> str:
    """The SMS for a notice from the outbox (see the module's docstring)."""
    return compose(first_line(subject, body), registration_no, short_link(public_url, instance_id))
