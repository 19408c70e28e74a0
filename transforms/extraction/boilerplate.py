"""Boilerplate paragraphs that extractors let into an article body: the standards, licensing,
copyright and newsletter lines wire services and publishers append (sign-up, follow-us and
reCAPTCHA notices, contact addresses, the desk's initials, "with reports from" notes), embeds'
placeholders, links to other stories set off by a "read also" label, and byline or timestamp
lines."""

from __future__ import annotations

import re

from newswire.schemas.article import markdown_to_text
from newswire.schemas.credits import is_labelled_credit
from newswire.transforms.extraction.bylines import byline_names

# Whole-paragraph patterns, matched on the plain text of a short paragraph only.
_BOILERPLATE = re.compile(
    r"""^(?:
        our\ standards\b.*                                     # Our Standards: ... Principles.
      | (?-i:(?:The\ )?(?:[A-Z][\w.&'-]*\ ){1,4}(?:Trust|Editorial)\ Principles)\.?
      | purchase\ licen[cs]ing\ rights\b.*
      | (?:story\ continues\ below\ )?advertisement
      | skip\ advertisement | continue\ reading\.?
      | (?:sign\ up|subscribe)\ (?:here|now)\b.{0,60}
      | .{0,120}\bnewsletter\b.{0,60}\bsign\ up\ here\.?
      | (?:copyright|\u00a9)\ .{0,80}all\ rights\ reserved\.?
      | (?:copyright\s*[:\u00a9]|\u00a9).{1,100}                          # \u00a9 Agency 2024
      | this\ (?:material|article)\ may\ not\ be\ published,\ broadcast,\ rewritten.*
      | the\ associated\ press\ receives\ (?:financial\ )?support\ .*
      | .{0,40}\bis\ solely\ responsible\ for\ all\ content\.?
      | find\ ap['\u2019]s\ standards\ for\ working\ with\ philanthropies.*
      | (?=.*\b(?:newsletters?|inbox|below)\b).{0,120}\bsign(?:ing)?\ up\b.{0,160}
      | get\ .{0,60}\bin\ your\ inbox\.?
      | by\ submitting\ your\ (?:information|email|details)\b.*
      | (?:got\ a\ story\?\ )?get\ in\ touch\ with\ our\ .{0,200}
      | \([\w/,. -]{2,12}\)                                # the desk's initials: (dmk), (dpa/red)
      | (?:with\ (?:additional\ )?report(?:s|ing)\ (?:from|by)|mit\ material\ von)\ .{1,120}
      | mit\ agenturmaterial\.?
      | (?:this\ (?:article|story)\ (?:was\ )?(?:first|originally)\ (?:published|appeared)
         |dieser\ artikel\ (?:ist|erschien)\ zuerst|(?:read|lest|lesen\ sie)\ (?:the|den)
         \ original(?:\ article|artikel)).{0,160}                # where the story came from
      | sign\ up\ (?:for|to)\ .{0,120}
      | (?:you\ must|du\ musst|sie\ m\u00fcssen)\ .{0,80}\b(?:comment|kommentar).{0,40}
      | follow\ \S.{0,40}\ on\ (?:twitter|facebook|x|instagram)\b.{0,240}
      | privacy\ policy\ ?and | terms\ of\ service\ ?apply\.?            # reCAPTCHA's notice
      | .{0,80}\b(?:auf|on|sur|en)\ whats\s?app\?                          # Follow us on WhatsApp?
      | embed(?:ded\ content)?|externer\ inhalt|external\ content       # an embed's placeholder
      | link\ zum\ [\w-]*inhalt | (?:watch|view)\ (?:this\ )?on\ (?:youtube|instagram|x|twitter)
      | (?:more|mehr)\s*:\s*.{0,160}                             # MORE: Other headline
      | (?:read\ (?:more|also|next)|see\ also|also\ read|les\ (?:ogs\u00e5|mer)
         |l\u00e4s\ (?:ocks\u00e5|mer)|lesen\ sie\ (?:auch|mehr)|(?:\u00e0\ )?lire\ aussi
         |leer\ m\u00e1s|lea\ tambi\u00e9n|leia\ (?:tamb\u00e9m|mais)|leggi\ anche
         |czytaj\ (?:wi\u0119cej|te\u017c|tak\u017ce)|lees\ ook|l\u00e6s\ ogs\u00e5|lue\ my\u00f6s)
        (?:\s*:)?(?:\s.{0,160})?                                 # Read also: Other headline
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_BOILERPLATE = 320
_MAX_CREDIT_LINE = 100
# Notices found anywhere in a short line, looked for apart (a leading wildcard in the pattern
# above would try every start): a contact line ending in an e-mail address ("Tips? Email:
# desk@site"), a paywall's notice.
_ADDRESS_END = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+\.?$")
_MAX_CONTACT_LINE = 200
_PAYWALL = ("r\u00e9serv\u00e9e aux abonn\u00e9s", "r\u00e9serv\u00e9 aux abonn\u00e9s",
            "for subscribers only", "only available to subscribers",
            "only available for subscribers", "nur f\u00fcr abonnenten",
            "exclusivo para suscriptores", "riservato agli abbonati")
_PAYWALL_STEMS = ("bonn", "bbona", "ubscri", "uscri")  # a cheap first look for the words above
_MAX_PAYWALL_LINE = 240

# A timestamp line: "Posted Wednesday, November 18, 2026 9:25 AM", "Updated 3 hours ago".
# The label may be in another language: "Stand:", "Aktualisiert am", "Uppdaterad", "Mis à jour
# le", "Güncelleme:".
_STAMP_PREFIX = re.compile(
    r"^(?:(?:first\s+|last\s+)?(?:posted|published|updated|modified|date|stand|aktualisiert"
    r"|ver\u00f6ffentlicht|publiziert|uppdaterad|publicerad|oppdatert|publisert|opdateret"
    r"|publiceret|mis\s+\u00e0\s+jour|publi\u00e9|actualizado|publicado|aggiornato|pubblicato"
    r"|giri\u015f|g\u00fcncelleme)(?:\s+on|\s+at|\s+am|\s+le|\s+el|\s+il)?\s*:?\s*)+",
    re.IGNORECASE,
)
_STAMP_TOKEN = re.compile(
    r"""^(?:
        (?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?
         |sat(?:urday)?|sun(?:day)?)\.?
      | (?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?
         |sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?
      | \d{1,4}(?:st|nd|rd|th)?\.? | \d{1,2}[/.]\d{1,2}[/.]\d{2,4}
      | \d{4}-\d\d-\d\d(?:t[\d:.+-]+z?)?
      | \d{1,2}(?:[:.]\d\d){1,2}(?:[ap]\.?m\.?)? | [ap]\.?m\.?
      | (?:utc|gmt)(?:[+-]\d{1,2}(?::?\d\d)?)? | z | [ecmp][sd]?t | bst | w?est | cest | ist | jst
      | aest | aedt | msk
      | at | on | of | ago | just | now | today | yesterday | uhr | [-\u2013]
      | (?:min|minute|hr|hour|day|week)s?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_STAMP_SPLIT = re.compile(r"[\s,|\u00b7\u2022]+")
_PART_SPLIT = re.compile(r"\s+[|\u00b7\u2022\u2013\u2014]\s+|\n")
_MAX_BYLINE_OR_TIMESTAMP = 200
_MAX_TIMESTAMP = 80
# Markdown the extractor writes: emphasis marks, and backslash escapes of literal characters.
_EMPHASIS = re.compile(r"(?<!\\)[*_]{1,3}")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|])")


def plain(paragraph: str) -> str:
    """A markdown paragraph's visible text: links to their anchor text, emphasis and escapes
    removed, whitespace collapsed."""
    text = markdown_to_text(paragraph) if "](" in paragraph else paragraph
    if "*" in text or "_" in text:
        text = _EMPHASIS.sub("", text)
    if "\\" in text:
        text = _ESCAPED.sub(r"\1", text)
    return " ".join(text.split())


def is_boilerplate(text: str) -> bool:
    """Whether a paragraph is a standards, licensing, advertising, newsletter, contact or
    paywall line, or the photo credit of a picture in the story ("Foto: Name", "Image: Name")."""
    return (len(text) <= _MAX_BOILERPLATE and bool(_BOILERPLATE.match(text))) or (
        len(text) <= _MAX_CREDIT_LINE and is_labelled_credit(text)) or (
        len(text) <= _MAX_CONTACT_LINE and "@" in text and bool(_ADDRESS_END.search(text))) or (
        len(text) <= _MAX_PAYWALL_LINE and _paywall(text))


def _paywall(text: str) -> bool:
    """Whether a line holds a paywall's notice ("La suite est réservée aux abonnés")."""
    if not any(stem in text for stem in _PAYWALL_STEMS):
        return False
    folded = text.casefold()
    return any(notice in folded for notice in _PAYWALL)


def is_timestamp(text: str) -> bool:
    """Whether `text` is only a publication or update time, with an optional label."""
    rest = _STAMP_PREFIX.sub("", text.strip())
    if len(rest) > _MAX_TIMESTAMP or not any(c.isdigit() for c in rest):
        return False
    tokens = [token for token in _STAMP_SPLIT.split(rest) if token]
    return all(_STAMP_TOKEN.match(token) for token in tokens)


def is_byline_or_timestamp(text: str) -> bool:
    """Whether every part of a line ("By A | Updated May 2, 2025") is a byline or a timestamp."""
    if len(text) > _MAX_BYLINE_OR_TIMESTAMP:
        return False
    parts = [part for part in _PART_SPLIT.split(text) if part.strip()]
    return bool(parts) and all(byline_names(p) is not None or is_timestamp(p) for p in parts)
