"""The lead image: its URL, alt text, caption and photo credit, from the page or the feed."""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from newswire.schemas.article import LeadImage
from newswire.schemas.credits import (
    clean_caption,
    clean_credit,
    is_agency_style,
    is_labelled_credit,
    is_photo_credit,
    reads_as_credit,
    split_caption,
    split_trailing_credit,
)
from newswire.schemas.urls import absolute
from newswire.transforms.extraction.metadata import PageMetadata, names, text_of
from newswire.transforms.extraction.outlet import is_logo
from newswire.transforms.records import FeedEntry

# An image: an <img>, or an element of a web component that takes the address itself (AMP's
# <amp-img src>, a site's <x-image data-src>). _IMAGES: the element if it is one, and those in it.
_COMPONENT = "*[contains(local-name(), '-')][@src or @data-src or @srcset]"
_IMAGES = etree.XPath(f"descendant-or-self::img | descendant-or-self::{_COMPONENT}")
# The lead picture: a <figure> with an image, or an image followed by a caption block
# (<div class="photo"><img><div class="caption">, WordPress's wp-caption). The figure around the
# page's og:image / JSON-LD image wins; else the first in the (first) article, else the first
# in the main region, else the first on the page.
_PICTURES = etree.XPath(
    f".//figure[.//img or .//{_COMPONENT}] | .//*[contains(@class,'caption')]"
    "[preceding-sibling::*[1][self::img or (self::a or self::picture) and .//img"
    f" or descendant-or-self::{_COMPONENT}]]")
_SCOPES = ("article", "main")
# What loads a picture: an image, or a <source> offering addresses for one.
_LOADERS = etree.XPath(f".//img | .//source | .//{_COMPONENT}")
# Elements named as the picture's credit, its caption, or text for screen readers only.
_CREDIT_NAME = re.compile(r"credit|copyright|photographer|source|licen[cs]e|author|byline|"
                          r"attribution|(?:^|[-_ ])lic(?:$|[-_ ])", re.IGNORECASE)
_CAPTION_NAME = re.compile(r"caption|legend|description|figcap|image-?info|img-?info",
                           re.IGNORECASE)
_CREDIT_ATTRIBUTE = re.compile(r"^data-(?:[\w-]*-)?(?:credit|copyright|photographer)s?$")
# The label of a gallery, zoom or share control laid over a picture, in a few languages: a
# verb, an article or "all", a count, the gallery's noun, a verb after it ("View 6 images", "Ver
# galería", "Voir la galerie", "Zur Bildergalerie", "Alle Bilder anzeigen", "Zoom in", "Share
# this image").
_GALLERY_VERB = (r"view|see|show|open|browse|ver|abrir|voir|ouvrir|vedi|apri|bekijk|zur|zum|"
                 r"visa|\u00f6ppna|zobacz")
_GALLERY_ARTICLE = r"all|the|alle|die|das|la|le|les|las|los|todas\s+las|tutte\s+le|de"
_GALLERY = (r"images?|photos?|pictures?|bilder|fotos?|foto's|gallery|galerie|galer\u00eda|"
            r"galeria|galleria|gal\u00e9rie|slideshow|diaporama|fotostrecke|bildergalerie|"
            r"fotogalerie|fotogaler\u00eda|zdj\u0119cia|galeri\u0119")
_GALLERY_AFTER = (r"\u00f6ffnen|anzeigen|ansehen|ouvrir|abrir|aprire|openen|bekijken|visa|"
                  r"\u00f6ppna")
_CONTROL = re.compile(
    rf"^(?:(?:{_GALLERY_VERB})\s+)?(?:(?:{_GALLERY_ARTICLE})\s+)?(?:\d+\s+)?(?:{_GALLERY})"
    rf"(?:\s+(?:{_GALLERY_AFTER}))?$"
    r"|^(?:expand|zoom(?:\s+in)?)(?:\s+(?:image|photo|bild|foto))?$"
    r"|^(?:share|teilen|partager|compartir|condividi|delen)(?:\s+(?:this\s+)?(?:image|photo))?$"
    r"|^(?:bild|foto)\s+teilen$", re.IGNORECASE)
# The label of an enlarge or fullscreen control, in a few languages: a few words around the
# verb ("Vollbild", "Bild vergrößern", "Click to enlarge", "Förstora bilden", "확대").
_ENLARGE = re.compile(
    r"enlarge|full\s*screen|vollbild|vergr\u00f6\u00dfer|agrandir|plein\s+\u00e9cran|ampliar|"
    r"pantalla\s+completa|ingrandi|schermo\s+intero|vergrot|volledig\s+scherm|f\u00f6rstora|"
    r"forst\u00f8rr|suurenna|powi\u0119ksz|zv\u011bt\u0161|nagy\u00edt|b\u00fcy\u00fct|"
    r"\u0443\u0432\u0435\u043b\u0438\u0447|\u62e1\u5927|\ud655\ub300|\u653e\u5927",
    re.IGNORECASE)
_MAX_CONTROL_WORDS = 4
# A gallery's counter over its picture: "1/12", "3 of 8", "2 von 5".
_COUNTER = re.compile(r"^\d{1,3}\s*(?:/|of|von|de|di|van|av|af|z)\s*\d{1,3}$", re.IGNORECASE)
_PORTRAIT_NAME = re.compile(r"author|byline|avatar|profile", re.IGNORECASE)
_HIDDEN_NAME = re.compile(r"sr-only|visually-?hidden|screen-?reader|a11y|assistive|offscreen",
                          re.IGNORECASE)
# A widget laid over or beside a picture, whose words are not about it: a poll, sharing buttons.
_WIDGET_NAME = re.compile(r"poll|quiz|survey|umfrage|newsletter|share(?!d)|social", re.IGNORECASE)
_NOT_TEXT = {"script", "style", "noscript", "button", "svg", "img", "picture", "source",
             "template", "iframe"}
_INLINE = {"a", "b", "i", "em", "strong", "span", "abbr", "sup", "sub", "u", "mark", "time"}
_CONTAINER_DEPTH = 4  # how far up from the lead image its caption container may be
_WRAPPER_DEPTH = 2  # how far up from a figure the wrapper its figcaption follows may be
_PICTURE_DEPTH = 8  # how far up from an image its <picture> may be
_MAX_CAPTION = 1200
_MAX_UNNAMED_CAPTION = 400  # the text of a block around the image that names no caption
_MIN_CAPTION_WORDS = 4  # alt text of fewer words is a label ("Photo", "Ana Ruiz"), no caption
# A picture's id in its URL: six or more digits, or eight or more hex digits.
_PICTURE_ID = re.compile(r"(?<![0-9a-f])(?:\d{6,}|[0-9a-f]{8,})(?![0-9a-f])", re.IGNORECASE)
# What an image server adds to a file's name for another version of the picture: a size
# ("-1024x576"), an edit's timestamp ("-e1715708581580"), "-scaled", before the extension.
_VARIANT = re.compile(r"(?:-\d{2,5}x\d{2,5}|-e\d{10,13}|-scaled)+(?=\.\w{3,4}$)")
_MAX_CREDIT = 200
_SENTENCE_END = ".!?\u00bb\u201c\u201d\")"
_MAX_CREDIT_WORDS = 6
_MAX_LABELLED_WORDS = 10  # a caption that begins with a credit label and is no longer: a credit
_SEPARATORS = " |/\u2013\u2014\u2022\u00b7"
# An ImageObject's properties that name its credit, in the order they are trusted.
_JSONLD_CREDITS = ("creditText", "copyrightNotice", "copyrightHolder", "author", "creator")
# The attributes an image's address may be in: src, and those lazy loaders fill it from
# (data-src, data-lazy-src, data-original, data-flickity-lazyload); and its srcsets likewise.
_ADDRESS_ATTRIBUTE = re.compile(r"src|data-[\w-]*(?:src|original|lazyload)")
_SRCSET_ATTRIBUTE = re.compile(r"(?:data-[\w-]*)?srcset")


def lead_image(tree: HtmlElement, meta: PageMetadata, url: str,
               entry: FeedEntry | None) -> tuple[LeadImage | None, dict[str, str]]:
    """The lead image and which source gave each part (figcaption, caption-block, json-ld, og,
    feed). Alt, caption and credit only come from sources that show the same picture."""
    sources: list[tuple[str, LeadImage]] = []
    jsonld = _jsonld_image(meta.jsonld.get("image"), url)
    og = LeadImage(url=absolute(url, meta.og["og:image"]), alt=meta.og.get("og:image:alt", "")
                   ) if meta.og.get("og:image") else None
    if picture := _page_picture(tree, url, [i.url for i in (jsonld, og) if i and i.url]):
        sources.append(picture)
    if jsonld:
        sources.append(("json-ld", jsonld))
    if og:
        sources.append(("og", og))
    if entry and entry.image_url:
        caption, credit = split_caption(entry.image_caption)
        sources.append(("feed", LeadImage(url=absolute(url, entry.image_url), caption=caption,
                                          credit=entry.image_credit or credit)))
    chosen = next(((name, image) for name, image in sources if image.url), None)
    if chosen is None:
        return None, {}
    same = [(name, image) for name, image in sources if _same_picture(image.url, chosen[1].url)]
    provenance = {"image": chosen[0]}
    parts = {"url": chosen[1].url}
    for part in ("alt", "caption", "credit"):
        for name, image in same:
            if value := getattr(image, part):
                parts[part] = value
                if part != "alt":
                    provenance[part] = name
                break
    if "caption" not in parts and _describes(parts.get("alt", "")):
        caption, credit = _split_credit(parts["alt"])
        parts["caption"], provenance["caption"] = caption, "alt"
        if credit and "credit" not in parts:
            parts["credit"], provenance["credit"] = credit, "alt"
    elif "credit" not in parts and (credit := _split_credit(parts.get("alt", ""))[1]):
        parts["credit"], provenance["credit"] = credit, "alt"  # "Boats at dawn © Ana Ruiz"
    return LeadImage(**parts), provenance


def _describes(alt: str) -> bool:
    """Whether an image's alt text reads as a caption: a phrase of some words, not a file name
    or a label."""
    return len(alt.split()) >= _MIN_CAPTION_WORDS


def _page_picture(tree: HtmlElement, url: str,
                  cover: list[str]) -> tuple[str, LeadImage] | None:
    """The lead figure (the one showing the cover image, else the first) and its source name."""
    if cover and (shown := _showing(tree, url, cover)) is not None:
        return shown
    for scope in (*(next(tree.iter(tag), None) for tag in _SCOPES), tree):
        found = None if scope is None else next(
            (p for p in _PICTURES(scope) if not _portrait(p) and not _logo(p)), None)
        if found is not None:
            return _picture(found, url)
    return None


def _portrait(picture: HtmlElement) -> bool:
    """Whether a picture sits in a byline or author block: the writer's photo, not the lead."""
    return any(_named(node, _PORTRAIT_NAME) for node in (picture, *picture.iterancestors()))


def _logo(picture: HtmlElement) -> bool:
    """Whether a picture shows the site's logo (a masthead figure can sit in the main region)."""
    img = next(iter(_IMAGES(picture)), None) if picture.tag == "figure" else None
    if img is None and (previous := picture.getprevious()) is not None:
        img = next(iter(_IMAGES(previous)), None)
    return img is not None and is_logo(img)


def _showing(tree: HtmlElement, url: str, cover: list[str]) -> tuple[str, LeadImage] | None:
    """The first image showing one of the cover pictures inside a figure or a block named as
    captioned that gives a caption or credit, with them; else the first in such a block (a
    teaser of the same story in a list of links shows the cover too, captionless); else the
    first inside a block with a caption's worth of text."""
    pictures = [_Picture(address) for address in cover]
    keys = {key for picture in pictures for key in picture.keys}
    named: tuple[str, LeadImage] | None = None
    unnamed: tuple[HtmlElement, HtmlElement] | None = None
    for element in _LOADERS(tree):
        attributes = " ".join(element.attrib.values())
        if not any(key in attributes for key in keys):  # cheap: most images are not the cover
            continue
        img = _picture_img(element) if element.tag == "source" else element
        if img is None or not any(picture.shown_by(_Picture(absolute(url, source)))
                                  for source in _image_sources(img) for picture in pictures):
            continue
        container, is_named = _container(img)
        if container is not None and is_named:
            found = _captioned(img, container, url)
            if found[1].caption or found[1].credit:
                return found
            named = named or found
        elif container is not None and unnamed is None:
            unnamed = (img, container)
    return named or (_captioned(*unnamed, url) if unnamed else None)


def _picture_img(source: HtmlElement) -> HtmlElement | None:
    """The <img> a <source> offers addresses for: nested in it (as lxml parses <picture>), or
    in its <picture>."""
    if (img := next(source.iter("img"), None)) is not None:
        return img
    parent = source.getparent()
    return next(parent.iter("img"), None) if parent is not None else None


def _container(img: HtmlElement) -> tuple[HtmlElement | None, bool]:
    """The figure around an image, else the nearest block around it that is or holds an
    element named as a caption or credit (named: True); else the nearest with a caption's
    worth of text (named: False)."""
    texted = None
    # lxml nests an <img> in the <source> elements before it: those and <picture> count no level
    blocks = (node for node in img.iterancestors() if node.tag not in ("source", "picture"))
    for level, node in enumerate(blocks):
        if level >= _CONTAINER_DEPTH or node.tag in ("article", "main", "body"):
            break
        if node.tag == "figure":
            return node, True
        if len(text := node.text_content()) > _MAX_CAPTION:
            break
        if any(_named(element, _CAPTION_NAME) or _named(element, _CREDIT_NAME)
               for element in node.iter(etree.Element) if element.tag not in _NOT_TEXT):
            return node, True
        if texted is None and 0 < len(text.strip()) <= _MAX_UNNAMED_CAPTION:
            texted = node
    return texted, False


def _picture(element: HtmlElement, url: str) -> tuple[str, LeadImage]:
    """A figure, or a caption block and the image before it, as a source name and image."""
    if element.tag == "figure":
        return _captioned(_IMAGES(element)[0], element, url)
    image = _IMAGES(element.getprevious())[0]
    return "caption-block", _described(image, element, None, url)


def _captioned(img: HtmlElement, container: HtmlElement, url: str) -> tuple[str, LeadImage]:
    """An image with the caption and credit its figure or block gives, and the source name."""
    caption = next(container.iter("figcaption"), None)
    if caption is None and container.tag == "figure":
        caption = _following_figcaption(container)
    if caption is None:
        caption = next((e for e in container.iter(etree.Element)
                        if _named(e, _CAPTION_NAME) and not _named(e, _CREDIT_NAME)
                        and _text(e)), container if container.tag != "figure" else None)
    name = "figcaption" if caption is not None and caption.tag == "figcaption" else (
        "caption-block")
    return name, _described(img, caption, container, url)


def _following_figcaption(figure: HtmlElement) -> HtmlElement | None:
    """A figcaption just after its figure, or just after a wrapper the figure alone fills
    (empty blocks beside it count for nothing); or a block just after that holds figcaptions
    only (caption and credit, each in its own)."""
    node: HtmlElement | None = figure
    for _ in range(_WRAPPER_DEPTH):
        following = node.getnext()
        while following is not None and _empty(following):
            following = following.getnext()
        if following is not None:
            children = [child for child in following if isinstance(child.tag, str)]
            return following if following.tag == "figcaption" or (children and all(
                child.tag == "figcaption" for child in children)) else None
        node = node.getparent()
        if node is None:
            break
    return None


def _empty(element: HtmlElement) -> bool:
    """Whether an element shows nothing: no text and no image."""
    return isinstance(element.tag, str) and not element.text_content().strip() and (
        not _IMAGES(element))


def _described(img: HtmlElement, caption: HtmlElement | None, container: HtmlElement | None,
               url: str) -> LeadImage:
    """An image with its caption (else its title attribute); a credit element in the caption,
    or a credit-only part of the figure outside it, wins over parsing the caption's text."""
    credit_element = _credit_element(caption, container, img)
    parts = _credit_parts(credit_element) if credit_element is not None else []
    credit = clean_credit(" ".join(_text(part) for part in parts))
    text = _text(caption, skip=parts) if caption is not None else ""
    if not text:  # no caption shown: the image's tooltip, where a CMS writes caption and credit
        text = _clean(img.get("title") or "")
    if not credit:
        text, credit = _split_credit(text)
    if not credit:
        credit = clean_credit(_credit_attribute(img, container))
    src = _image_source(img)
    return LeadImage(url=absolute(url, src) if src else "", alt=_clean(img.get("alt") or ""),
                     caption=_worded(clean_caption(text)), credit=_worded(credit))


def _split_credit(text: str) -> tuple[str, str]:
    """A caption line split into caption and the photo credit at its end, if any; a few words
    after a credit label ("Image Credits: Name") are all credit."""
    if is_labelled_credit(text) and len(text.split()) <= _MAX_LABELLED_WORDS:
        return "", clean_credit(text)
    text, credit = split_caption(text)
    credit = credit.lstrip(_SEPARATORS)
    if not is_agency_style(credit):  # "(Foto: Name/AFP)", "(Name/AFP)": label and parentheses go
        credit = clean_credit(credit)
    return (text, credit) if credit else split_trailing_credit(text)


def _worded(text: str) -> str:
    """`text`, or '' if it has no letter (a bare number or a counter is no caption or credit) or
    is a control's label ("View 6 images", "Vollbild", "Enlarge")."""
    return text if any(c.isalpha() for c in text) and not _is_control(text) else ""


def _is_control(text: str) -> bool:
    """Whether `text` is the label of a control or counter over a picture rather than words
    about it."""
    return bool(_CONTROL.match(text) or _COUNTER.match(text)) or (
        len(text.split()) <= _MAX_CONTROL_WORDS and _ENLARGE.search(text) is not None
        and not any(c in text for c in ".!?"))


def _credit_element(caption: HtmlElement | None, container: HtmlElement | None,
                    img: HtmlElement) -> HtmlElement | None:
    """The element holding the picture's credit: one named as a credit inside the caption or
    the figure, the caption's last part set apart, a <small> or credit just after the caption,
    else in a figure the one text block outside its caption."""
    for scope in (caption, container):
        if scope is None:
            continue
        for element in scope.iterdescendants(etree.Element):
            if (_named(element, _CREDIT_NAME) or element.tag == "cite") and (
                    0 < len(_text(element)) <= _MAX_CREDIT) and img not in element.iter("img") and (
                    clean_credit(_text(element))):  # a bare label ("Copyright") is not it
                return element
    if caption is not None and (last := _trailing_part(caption)) is not None:
        return last
    if caption is not None and (first := _leading_part(caption)) is not None:
        return first
    following = caption.getnext() if caption is not None else None
    if following is not None and (following.tag == "small" or _named(following, _CREDIT_NAME)) and (
            0 < len(_text(following)) <= _MAX_CREDIT):
        return following
    if container is None or container.tag != "figure":
        return None
    for element in container.iterdescendants(etree.Element):
        if element.tag in _NOT_TEXT or (caption is not None and (
                element is caption or caption in element.iterancestors()
                or element in caption.iterancestors())):
            continue
        if (element.text or "").strip() and len(_text(element)) <= _MAX_CREDIT and (
                _worded(_text(element))) and reads_as_credit(_text(element)):
            return element
    return None


def _credit_parts(element: HtmlElement) -> list[HtmlElement]:
    """A credit element and the elements named as credits just after it (a copyright notice
    and the name, each in its own)."""
    parts = [element]
    while _named(element, _CREDIT_NAME) and not (element.tail or "").strip() and (
            (following := element.getnext()) is not None and _named(following, _CREDIT_NAME)):
        parts.append(element := following)
    return parts


def _credit_attribute(img: HtmlElement, container: HtmlElement | None) -> str:
    """A credit given in an attribute (data-credit, data-copyright, data-photographer) of the
    image or of a block around it, up to its container, else in the image's title where it
    begins as a credit does ("Foto: Name", "\u00a9 Name")."""
    for node in (img, *img.iterancestors()):
        for name, value in node.attrib.items():
            if _CREDIT_ATTRIBUTE.match(name) and 0 < len(value.strip()) <= _MAX_CREDIT and (
                    "://" not in value):
                return value
        if container is None or node is container:
            break
    title = img.get("title") or ""
    return title if is_labelled_credit(title) and len(title) <= _MAX_CREDIT else ""


def _trailing_part(caption: HtmlElement) -> HtmlElement | None:
    """The caption's last part when it reads as a credit set apart: the caption has two or
    more parts and the last begins with a credit label, or the ones before end a sentence and
    the last is a few words ending none."""
    parts = [child for child in caption if isinstance(child.tag, str) and _text(child)]
    if len(parts) < 2:
        return None
    before, last = _text(parts[-2]), _text(parts[-1])
    if (is_labelled_credit(last) or is_photo_credit(last)) and len(last) <= _MAX_CREDIT:
        return parts[-1]
    if (before[-1] in _SENTENCE_END or last[0] in _SEPARATORS) and (
            len(last.split()) <= _MAX_CREDIT_WORDS and last[-1] not in _SENTENCE_END) and (
            reads_as_credit(last.lstrip(_SEPARATORS))):
        return parts[-1]
    return None


def _leading_part(caption: HtmlElement) -> HtmlElement | None:
    """The caption's first part when it is a credit set on a line of its own before the
    caption: an element of a few words that reads as a credit, then a line break."""
    first = next((child for child in caption if isinstance(child.tag, str)), None)
    if first is None or (caption.text or "").strip() or (first.tail or "").strip():
        return None
    following, text = first.getnext(), _text(first)
    if following is None or following.tag != "br" or not text or (
            len(text.split()) > _MAX_CREDIT_WORDS or text[-1] in _SENTENCE_END):
        return None
    return first if reads_as_credit(text) else None


def _named(element: HtmlElement, name: re.Pattern[str]) -> bool:
    """Whether the element's class or itemprop matches `name`."""
    value = element.get("class") or ""
    if itemprop := element.get("itemprop"):
        value = f"{value} {itemprop}"
    return bool(value) and name.search(value) is not None


def _text(element: HtmlElement | None, skip: list[HtmlElement] | None = None) -> str:
    """An element's visible text, with a space where one block ends and the next begins;
    `skip`, scripts, buttons, hidden and screen-reader-only text, widgets (a poll, sharing
    buttons) and the elements inside that are controls' labels left out."""
    if element is None:
        return ""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if isinstance(node.tag, str) and node.tag not in _NOT_TEXT and (
                not any(node is part for part in skip or ())) and (
                node.get("hidden") is None and not _named(node, _HIDDEN_NAME)) and (
                node is element or not (_named(node, _WIDGET_NAME)
                                        or _is_control(" ".join(node.text_content().split())))):
            # an inline element glued to a sentence before it starts a new one: a gap too
            last = next((part[-1] for part in reversed(parts) if part), "")
            glued = last in _SENTENCE_END and last != ")"
            gap = "" if node.tag in _INLINE and not glued else " "
            parts.extend((gap, node.text or ""))
            for child in node:
                walk(child)
                parts.append(child.tail or "")
            parts.append(gap)

    walk(element)
    return _clean("".join(parts))


def _image_source(img: HtmlElement) -> str:
    """The image's real address: a lazy-loading attribute wins over src, which holds a stub
    where one is used ("placeholder.gif", a data: URL)."""
    return next(iter(_image_sources(img)), "")


def _image_sources(img: HtmlElement) -> list[str]:
    """Every address an image may load: its attributes, its srcset and its <picture>'s."""
    found = [value.strip() for name, value in sorted(img.attrib.items(), key=_src)
             if _ADDRESS_ATTRIBUTE.fullmatch(name)]
    elements = [img]
    # lxml nests an <img> inside the <source> elements before it, so look a few levels up.
    node = img.getparent()
    for _ in range(_PICTURE_DEPTH):
        if node is None or node.tag == "picture":
            break
        node = node.getparent()
    if node is not None and node.tag == "picture":
        elements.extend(node.iter("source"))
    for element in elements:
        for name, srcset in element.attrib.items():
            if _SRCSET_ATTRIBUTE.fullmatch(name):
                found.extend(part.split()[0] for part in srcset.split(",") if part.strip())
    return [address for address in found if address and not address.startswith("data:")]


def _src(attribute: tuple[str, str]) -> bool:
    """Sorts the lazy loaders' attributes, in the page's order, before src."""
    return attribute[0] == "src"


def _jsonld_image(value: object, url: str) -> LeadImage | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return LeadImage(url=absolute(url, value))
    if isinstance(value, dict) and (src := text_of(value.get("url"))
                                    or text_of(value.get("contentUrl"))):
        caption, credit = split_caption(text_of(value.get("caption"))
                                        or text_of(value.get("description")))
        holder = next((found for key in _JSONLD_CREDITS if (found := names(value.get(key)))), [])
        return LeadImage(url=absolute(url, src), caption=clean_caption(caption),
                         credit=clean_credit(", ".join(holder)) if holder else credit)
    return None


def _same_picture(first: str, second: str) -> bool:
    """Whether two image URLs show the same picture (see `_Picture`)."""
    return _Picture(first).shown_by(_Picture(second))


class _Picture:
    """An image URL as compared with another: two show the same picture when they are equal,
    name the same file at another size, or share a picture id (a long run of digits or hex),
    as image servers write them."""

    def __init__(self, address: str) -> None:
        self.address = address

    @cached_property
    def path(self) -> str:
        return urlsplit(self.address).path

    @cached_property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @cached_property
    def stem(self) -> str:
        """The file's name without a version's size or edit suffix ("a-1024x576.jpg": "a.jpg")."""
        return _VARIANT.sub("", self.name)

    @cached_property
    def ids(self) -> set[str]:
        return {token for token in _PICTURE_ID.findall(self.address)
                if any(c.isdigit() for c in token)}

    @property
    def keys(self) -> set[str]:
        """Substrings an address showing this picture contains: its path, file name or ids."""
        return {key for key in (self.path, self.name, self.stem.rsplit(".", 1)[0])
                if len(key) >= 8} | self.ids

    @cached_property
    def main_id(self) -> str:
        """The longest id: the picture's own, where a shorter one may be the image server's
        (a size limit such as 2147483647 that every address of the server carries)."""
        return max(sorted(self.ids), key=len, default="")

    def shown_by(self, other: _Picture) -> bool:
        return (self.address == other.address
                or (len(self.stem) >= 8 and self.stem == other.stem)
                or self.main_id in other.ids or other.main_id in self.ids)


def _clean(text: str) -> str:
    return " ".join(text.split())
