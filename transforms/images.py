"""The lead image: its URL, alt text, caption and photo credit, from the page or the feed."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml.html import HtmlElement

from schemas.article import LeadImage
from schemas.credits import split_caption
from transforms.metadata import PageMetadata
from transforms.records import FeedEntry

_FIGURES = ("//article//figure[.//img]", "//main//figure[.//img]", "//figure[.//img]")
_CREDIT_CLASS = ("credit", "copyright", "photographer")


def lead_image(tree: HtmlElement, meta: PageMetadata, url: str,
               entry: FeedEntry | None) -> tuple[LeadImage | None, dict[str, str]]:
    """The lead image and which source gave each part (figure, json-ld, og, feed)."""
    sources: list[tuple[str, LeadImage]] = []
    if figure := _first_figure(tree, url):
        sources.append(("figcaption", figure))
    if jsonld := _jsonld_image(meta.jsonld.get("image"), url):
        sources.append(("json-ld", jsonld))
    if meta.og.get("og:image"):
        sources.append(("og", LeadImage(url=urljoin(url, meta.og["og:image"]),
                                        alt=meta.og.get("og:image:alt", ""))))
    if entry and entry.image_url:
        caption, credit = split_caption(entry.image_caption)
        sources.append(("feed", LeadImage(url=entry.image_url, caption=caption,
                                          credit=entry.image_credit or credit)))
    if not sources:
        return None, {}
    provenance: dict[str, str] = {}
    parts: dict[str, str] = {}
    for part in ("url", "alt", "caption", "credit"):
        for name, image in sources:
            if value := getattr(image, part):
                parts[part] = value
                provenance["image" if part == "url" else part] = name
                break
    if "url" not in parts:
        return None, {}
    provenance.pop("alt", None)
    return LeadImage(**parts), provenance


def _first_figure(tree: HtmlElement, url: str) -> LeadImage | None:
    """The first figure (or image with a caption block) in the article body."""
    for query in _FIGURES:
        if figures := tree.xpath(query):
            return _figure_image(figures[0], url)
    for img in tree.xpath("//article//img[following-sibling::*[contains(@class,'caption')]]"):
        caption = img.xpath("following-sibling::*[contains(@class,'caption')]")[0]
        return _captioned(img, caption, url)
    return None


def _figure_image(figure: HtmlElement, url: str) -> LeadImage:
    img = figure.xpath(".//img")[0]
    captions = figure.xpath(".//figcaption") or figure.xpath(".//*[contains(@class,'caption')]")
    return _captioned(img, captions[0] if captions else None, url)


def _captioned(img: HtmlElement, caption: HtmlElement | None, url: str) -> LeadImage:
    """An image with its caption block; a credit element inside the block wins over parsing."""
    src = img.get("src") or img.get("data-src") or ""
    text, credit = "", ""
    if caption is not None:
        credit_elements = [e for e in caption.iter()
                           if any(c in (e.get("class") or "").lower() for c in _CREDIT_CLASS)]
        if credit_elements:
            credit_text = credit_elements[0].text_content()
            credit = _clean(credit_text)
            text = _clean(caption.text_content().replace(credit_text, "", 1))
        else:
            text, credit = split_caption(_clean(caption.text_content()))
    return LeadImage(url=urljoin(url, src) if src else "", alt=_clean(img.get("alt") or ""),
                     caption=text, credit=credit)


def _jsonld_image(value: object, url: str) -> LeadImage | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return LeadImage(url=urljoin(url, value))
    if isinstance(value, dict) and (src := value.get("url") or value.get("contentUrl")):
        caption, credit = split_caption(str(value.get("caption") or ""))
        credit = str(value.get("creditText") or value.get("copyrightHolder") or credit)
        return LeadImage(url=urljoin(url, src), caption=caption, credit=credit)
    return None


def _clean(text: str) -> str:
    return " ".join(text.split())
