"""The lead image: its URL, alt text, caption and photo credit, from the page or the feed."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from newswire.schemas.article import LeadImage
from newswire.schemas.credits import split_caption
from newswire.transforms.metadata import PageMetadata, names
from newswire.transforms.records import FeedEntry

# The lead picture: a <figure> with an image, or an image followed by a caption block
# (<div class="photo"><img><div class="caption">, WordPress's wp-caption). The first in the
# (first) article wins, else the first in the main region, else the first on the page.
_PICTURES = etree.XPath(
    ".//figure[.//img] | .//*[contains(@class,'caption')]"
    "[preceding-sibling::*[1][self::img or (self::a or self::picture) and .//img]]")
_FIGCAPTIONS = etree.XPath(".//figcaption")
_CAPTION_BLOCKS = etree.XPath(".//*[contains(@class,'caption')]")
_SCOPES = ("article", "main")
_CREDIT_CLASS = ("credit", "copyright", "photographer")
_SOURCE_ATTRIBUTES = ("src", "data-src", "data-original", "data-lazy-src")


def lead_image(tree: HtmlElement, meta: PageMetadata, url: str,
               entry: FeedEntry | None) -> tuple[LeadImage | None, dict[str, str]]:
    """The lead image and which source gave each part (figcaption, caption-block, json-ld, og,
    feed). Alt, caption and credit only come from sources that show the same picture."""
    sources: list[tuple[str, LeadImage]] = []
    if picture := _page_picture(tree, url):
        sources.append(picture)
    if jsonld := _jsonld_image(meta.jsonld.get("image"), url):
        sources.append(("json-ld", jsonld))
    if meta.og.get("og:image"):
        sources.append(("og", LeadImage(url=_absolute(url, meta.og["og:image"]),
                                        alt=meta.og.get("og:image:alt", ""))))
    if entry and entry.image_url:
        caption, credit = split_caption(entry.image_caption)
        sources.append(("feed", LeadImage(url=entry.image_url, caption=caption,
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
    return LeadImage(**parts), provenance


def _page_picture(tree: HtmlElement, url: str) -> tuple[str, LeadImage] | None:
    """The lead figure, or image with a caption block after it, and the source name."""
    for scope in (*(next(tree.iter(tag), None) for tag in _SCOPES), tree):
        if scope is not None and (found := _PICTURES(scope)):
            return _picture(found[0], url)
    return None


def _picture(element: HtmlElement, url: str) -> tuple[str, LeadImage]:
    """A figure, or a caption block and the image before it, as a source name and image."""
    if element.tag == "figure":
        captions = _FIGCAPTIONS(element) or _CAPTION_BLOCKS(element)
        image = next(element.iter("img"))
        return "figcaption", _captioned(image, captions[0] if captions else None, url)
    previous = element.getprevious()
    image = previous if previous.tag == "img" else next(previous.iter("img"))
    return "caption-block", _captioned(image, element, url)


def _captioned(img: HtmlElement, caption: HtmlElement | None, url: str) -> LeadImage:
    """An image with its caption block; a credit element inside the block wins over parsing."""
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
    src = _image_source(img)
    return LeadImage(url=_absolute(url, src) if src else "", alt=_clean(img.get("alt") or ""),
                     caption=text, credit=credit)


def _image_source(img: HtmlElement) -> str:
    """The image's real address: lazy-loading attributes and srcset win over a data: stub."""
    for attribute in _SOURCE_ATTRIBUTES:
        value = (img.get(attribute) or "").strip()
        if value and not value.startswith("data:"):
            return value
    srcset = (img.get("srcset") or img.get("data-srcset") or "").strip()
    return srcset.split(",")[0].split()[0] if srcset else ""


def _jsonld_image(value: object, url: str) -> LeadImage | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        return LeadImage(url=_absolute(url, value))
    if isinstance(value, dict) and (src := value.get("url") or value.get("contentUrl")):
        caption, credit = split_caption(str(value.get("caption") or ""))
        holder = names(value.get("creditText")) or names(value.get("copyrightHolder"))
        return LeadImage(url=_absolute(url, str(src)), caption=caption,
                         credit=holder[0] if holder else credit)
    return None


def _same_picture(first: str, second: str) -> bool:
    """Whether two image URLs show the same picture: equal, or the same file at another size."""
    if first == second:
        return True
    name = urlsplit(first).path.rsplit("/", 1)[-1]
    return len(name) >= 8 and name == urlsplit(second).path.rsplit("/", 1)[-1]


def _absolute(base: str, address: str) -> str:
    """`address` resolved against the page URL; an absolute http(s) URL is kept as it is."""
    return address if address.startswith(("https://", "http://")) else urljoin(base, address)


def _clean(text: str) -> str:
    return " ".join(text.split())
