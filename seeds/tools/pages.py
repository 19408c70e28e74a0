"""Article pages: one HTML template per outlet, each with the boilerplate readers meet.

Every template carries the story's body paragraphs as `<p>` elements whose text and links are
exactly the `.txt` paragraphs, the credits line as the body's last paragraph, and the lead image
with its caption and credit. Around them: the outlet's own metadata (JSON-LD, Open Graph or
next to nothing), header and navigation, share buttons, a newsletter box, related stories,
a cookie banner and a footer.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from newswire.schemas.article import Article
from newswire.seeds.tools.corpus import Story, body_paragraphs, markdown_links

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
AP_MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.",
             "Nov.", "Dec.")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- small helpers ---------------------------------------------------------------------------

def esc(text: str) -> str:
    """Escape text content."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    """Escape an attribute value (for double-quoted attributes)."""
    return html.escape(text, quote=True)


def paragraph_html(markdown: str, attributes: str = "") -> str:
    """A body paragraph: markdown inline links become `<a href>`, the rest is escaped text."""
    inner = "".join(
        esc(text) if href is None else f'<a href="{attr(href)}">{esc(text)}</a>'
        for text, href in markdown_links(markdown)
    )
    return f"<p{attributes}>{inner}</p>"


def join_names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def iso(moment: datetime, zulu: bool = False) -> str:
    text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if zulu else text


def clock(moment: datetime, style: str = "AM") -> str:
    """'9:15 AM' or, with style 'a.m.', '9:15 a.m.'."""
    hour = moment.hour % 12 or 12
    if style == "a.m.":
        suffix = "a.m." if moment.hour < 12 else "p.m."
    else:
        suffix = "AM" if moment.hour < 12 else "PM"
    return f"{hour}:{moment.minute:02d} {suffix}"


def json_ld(data: dict[str, Any]) -> str:
    """JSON for a <script> element: `<` is escaped so the text can never close the element."""
    return json.dumps(data, ensure_ascii=False, indent=2).replace("<", "\\u003c")


def slugify(name: str) -> str:
    return "-".join("".join(c for c in word.lower() if c.isalnum()) for word in name.split())


def site_path(story: Story) -> str:
    """The story's path on its outlet's site, for relative links between pages."""
    return story.canonical.removeprefix(story.outlet.domain) or "/"


def share_links(article: Article) -> dict[str, str]:
    url = quote(article.canonical_url, safe="")
    title = quote(article.title, safe="")
    return {
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={url}",
        "x": f"https://twitter.com/intent/tweet?url={url}&text={title}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?url={url}",
        "email": f"mailto:?subject={title}&body={url}",
    }


def language(article: Article) -> str:
    return article.language or "en"


def caption_parts(article: Article) -> tuple[str, str]:
    image = article.image
    return (image.caption, image.credit) if image else ("", "")


def joined_caption(article: Article) -> str:
    return " ".join(part for part in caption_parts(article) if part)


# --- Northwind Herald: a national daily, JSON-LD rich ---------------------------------------

NORTHWIND_NAV = ("World", "National", "Politics", "Business", "Technology", "Science", "Health",
                 "Sport", "Culture", "Opinion")


def northwind_date(moment: datetime) -> str:
    return (f"{AP_MONTHS[moment.month - 1]} {moment.day}, {moment.year}, "
            f"{clock(moment, 'a.m.')} ET")


def northwind_page(story: Story, related: Sequence[Story]) -> str:
    article = story.article
    site = story.outlet.domain
    caption, credit = caption_parts(article)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "datePublished": iso(story.published),
        "dateModified": iso(story.modified),
        "author": [
            {"@type": "Person", "name": name, "url": f"{site}/by/{slugify(name)}"}
            for name in article.authors
        ],
        "publisher": {
            "@type": "Organization",
            "name": story.outlet.name,
            "logo": {"@type": "ImageObject", "url": f"{site}/static/img/nwh-logo-600x60.png"},
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.canonical_url},
        "articleSection": story.section.title(),
        "keywords": list(article.tags),
        "inLanguage": language(article),
        "isAccessibleForFree": True,
    }
    if article.image:
        data["image"] = {
            "@type": "ImageObject",
            "url": article.image.url,
            "caption": caption,
            "creditText": credit,
        }
    byline_authors = join_names([
        f'<a rel="author" href="/by/{slugify(name)}">{esc(name)}</a>' for name in article.authors
    ])
    shares = share_links(article)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{attr(language(article))}">',
        "<head>",
        '  <meta charset="utf-8">',
        '  <meta name="viewport" content="width=device-width, initial-scale=1">',
        f"  <title>{esc(article.title)} | Northwind Herald</title>",
        f'  <meta name="description" content="{attr(article.summary)}">',
        f'  <link rel="canonical" href="{attr(article.canonical_url)}">',
        '  <link rel="stylesheet" href="/static/css/nwh-article.4c1f9e.css">',
        '  <link rel="icon" href="/favicon.ico">',
        '  <script type="application/ld+json">',
        json_ld(data),
        "  </script>",
        "</head>",
        '<body class="template-article section-' + attr(story.section) + '">',
        '  <div id="cookie-consent" class="cookie-banner" role="dialog" aria-live="polite">',
        "    <p>We use cookies and similar technologies to keep this site working, to measure"
        " our audience and to show you relevant advertising. You can change your choices at any"
        ' time under <a href="/privacy/cookies">Cookie settings</a>.</p>',
        '    <button type="button" class="cookie-banner__accept">Accept all</button>',
        '    <button type="button" class="cookie-banner__reject">Reject non-essential</button>',
        '    <a class="cookie-banner__manage" href="/privacy/cookies">Manage preferences</a>',
        "  </div>",
        '  <a class="skip-link" href="#main">Skip to content</a>',
        '  <header class="site-header">',
        '    <a class="site-header__logo" href="/" aria-label="Northwind Herald home">'
        "Northwind Herald</a>",
        '    <nav class="site-nav" aria-label="Sections">',
        "      <ul>",
        *(f'        <li><a href="/{name.lower()}">{name}</a></li>' for name in NORTHWIND_NAV),
        "      </ul>",
        "    </nav>",
        '    <a class="site-header__subscribe" href="/subscribe">Subscribe</a>',
        '    <a class="site-header__login" href="/account/login">Log in</a>',
        "  </header>",
        '  <main id="main" class="site-main">',
        '    <article class="story">',
        '      <header class="story-header">',
        f'        <p class="story-kicker"><a href="/{attr(story.section)}">'
        f"{esc(story.section.title())}</a></p>",
        f'        <h1 class="story-headline">{esc(article.title)}</h1>',
        f'        <p class="story-dek">{esc(article.summary)}</p>',
        '        <div class="story-byline">',
        f'          <span class="byline">By {byline_authors}</span>',
        f'          <time class="published" datetime="{iso(story.published)}">'
        f"{northwind_date(story.published)}</time>",
    ]
    if story.updated:
        out.append(
            f'          <span class="updated">Updated <time datetime="{iso(story.updated)}">'
            f"{northwind_date(story.updated)}</time></span>"
        )
    out += [
        "        </div>",
        '        <ul class="share-tools" aria-label="Share this article">',
        f'          <li><a class="share share--facebook" href="{attr(shares["facebook"])}">'
        "Share on Facebook</a></li>",
        f'          <li><a class="share share--x" href="{attr(shares["x"])}">Share on X</a></li>',
        f'          <li><a class="share share--email" href="{attr(shares["email"])}">'
        "Email</a></li>",
        '          <li><button type="button" class="share share--copy">Copy link</button></li>',
        "        </ul>",
        "      </header>",
    ]
    if article.image:
        image = article.image
        parts = []
        if caption:
            parts.append(f'<span class="caption-text">{esc(caption)}</span>')
        if credit:
            parts.append(f'<span class="credit">{esc(credit)}</span>')
        out += [
            '      <figure class="lead-image">',
            f'        <img src="{attr(image.url)}" alt="{attr(image.alt)}" width="1200"'
            ' height="800" fetchpriority="high">',
        ]
        if parts:
            out.append(f'        <figcaption class="lead-image__caption">{" ".join(parts)}'
                       "</figcaption>")
        out.append("      </figure>")
    out.append('      <div class="story-body">')
    for number, paragraph in enumerate(body_paragraphs(article), start=1):
        out.append("        " + paragraph_html(paragraph))
        if number == 3:
            out.append('        <div class="ad-slot ad-slot--inline" data-ad-unit='
                       '"nwh/article/inline-1" aria-hidden="true"></div>')
    if article.credits:
        out.append("        " + paragraph_html(article.credits.raw))
    out += [
        "      </div>",
        '      <footer class="story-footer">',
        '        <ul class="story-topics" aria-label="Topics">',
        *(f'          <li><a href="/topic/{slugify(tag)}">{esc(tag)}</a></li>'
          for tag in article.tags),
        "        </ul>",
        '        <p class="story-corrections">Spotted an error? '
        '<a href="/corrections">Tell us</a>.</p>',
        "      </footer>",
        "    </article>",
        '    <aside class="newsletter-signup" aria-labelledby="newsletter-title">',
        '      <h2 id="newsletter-title">The Morning Briefing</h2>',
        "      <p>Start your day with the stories that matter, hand-picked by Herald editors and"
        " delivered to your inbox every weekday at 6 a.m.</p>",
        '      <form action="/newsletters/subscribe" method="post">',
        '        <label for="newsletter-email">Email address</label>',
        '        <input id="newsletter-email" type="email" name="email"'
        ' placeholder="you@example.com" required>',
        '        <input type="hidden" name="list" value="morning-briefing">',
        '        <button type="submit">Sign up</button>',
        "      </form>",
        '      <p class="newsletter-signup__legal">By signing up you agree to our'
        ' <a href="/terms">Terms of Service</a> and <a href="/privacy">Privacy Policy</a>.</p>',
        "    </aside>",
        '    <section class="related-stories" aria-labelledby="related-title">',
        '      <h2 id="related-title">Read more</h2>',
        "      <ul>",
        *(f'        <li><a href="{attr(site_path(other))}">{esc(other.article.title)}</a></li>'
          for other in related),
        "      </ul>",
        "    </section>",
        "  </main>",
        '  <footer class="site-footer">',
        '    <nav aria-label="Northwind Herald">',
        "      <ul>",
        '        <li><a href="/about">About us</a></li>',
        '        <li><a href="/contact">Contact</a></li>',
        '        <li><a href="/careers">Careers</a></li>',
        '        <li><a href="/advertise">Advertise</a></li>',
        '        <li><a href="/terms">Terms of Service</a></li>',
        '        <li><a href="/privacy">Privacy Policy</a></li>',
        '        <li><a href="/privacy/cookies">Cookie settings</a></li>',
        "      </ul>",
        "    </nav>",
        "    <p>&copy; 2026 Northwind Herald Media Group. All rights reserved.</p>",
        "  </footer>",
        '  <script src="/static/js/nwh-article.8d02aa.js" defer></script>',
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


# --- Meridian Wire: a wire agency, Open Graph, no JSON-LD -----------------------------------

MERIDIAN_NAV = ("World", "Business", "Markets", "Technology", "Science", "Health", "Sports",
                "Lifestyle")


def meridian_date(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year} {clock(moment)} UTC"


def meridian_page(story: Story, related: Sequence[Story]) -> str:
    article = story.article
    published = story.published.astimezone(timezone.utc)
    modified = story.modified.astimezone(timezone.utc)
    shares = share_links(article)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{attr(language(article))}">',
        "<head>",
        '  <meta charset="utf-8">',
        '  <meta name="viewport" content="width=device-width, initial-scale=1">',
        f"  <title>{esc(article.title)} | Meridian Wire</title>",
        f'  <meta name="description" content="{attr(article.summary)}">',
        '  <meta property="og:type" content="article">',
        f'  <meta property="og:title" content="{attr(article.title)}">',
        '  <meta property="og:site_name" content="Meridian Wire">',
        f'  <meta property="og:url" content="{attr(article.canonical_url)}">',
        f'  <meta property="og:description" content="{attr(article.summary)}">',
    ]
    if article.image:
        out += [
            f'  <meta property="og:image" content="{attr(article.image.url)}">',
            f'  <meta property="og:image:alt" content="{attr(article.image.alt)}">',
        ]
    out += [
        f'  <meta property="article:published_time" content="{iso(published, zulu=True)}">',
        f'  <meta property="article:modified_time" content="{iso(modified, zulu=True)}">',
        f'  <meta property="article:section" content="{attr(story.section.title())}">',
        *(f'  <meta property="article:tag" content="{attr(tag)}">' for tag in article.tags),
        '  <meta name="twitter:card" content="summary_large_image">',
        '  <meta name="twitter:site" content="@meridianwire">',
        f'  <link rel="canonical" href="{attr(article.canonical_url)}">',
        '  <link rel="stylesheet" href="/assets/mw.main.css?v=20261102">',
        "</head>",
        "<body>",
        '  <div id="consent-banner" class="consent" role="region" aria-label="Cookie banner">',
        '    <div class="consent__text">By clicking "Accept All Cookies", you agree to the'
        " storing of cookies on your device to enhance site navigation, analyze site usage, and"
        ' assist in our marketing efforts. <a href="/privacy-statement">Privacy Statement</a>'
        "</div>",
        '    <button id="consent-accept" type="button">Accept All Cookies</button>',
        '    <button id="consent-settings" type="button">Cookies Settings</button>',
        "  </div>",
        '  <header class="masthead">',
        '    <a class="masthead__brand" href="/">Meridian Wire</a>',
        '    <nav class="masthead__nav">',
        *(f'      <a href="/{name.lower()}/">{name}</a>' for name in MERIDIAN_NAV),
        "    </nav>",
        '    <form class="masthead__search" action="/search" role="search">'
        '<input type="search" name="q" aria-label="Search Meridian Wire">'
        '<button type="submit">Search</button></form>',
        '    <a class="masthead__signin" href="/account/sign-in">Sign In</a>',
        "  </header>",
        '  <div class="page-layout">',
        '    <main class="page-layout__main">',
        '      <article class="wire-story" id="main-content">',
        '        <div class="wire-story__meta">',
        f'          <a class="wire-story__section" href="/{attr(story.section)}/">'
        f"{esc(story.section.title())}</a>",
        f'          <time datetime="{iso(published, zulu=True)}">{meridian_date(published)}'
        "</time>",
    ]
    if story.updated:
        out.append(f'          <span class="wire-story__updated">Updated <time datetime="'
                   f'{iso(modified, zulu=True)}">{meridian_date(modified)}</time></span>')
    out += [
        "        </div>",
        f'        <h1 class="wire-story__headline">{esc(article.title)}</h1>',
        '        <div class="wire-story__byline">By '
        + join_names([f'<a class="author" href="/authors/{slugify(name)}/">{esc(name)}</a>'
                      for name in article.authors])
        + "</div>",
        '        <div class="share-bar" role="group" aria-label="Share">',
        f'          <a href="{attr(shares["x"])}" class="share-bar__item">X</a>',
        f'          <a href="{attr(shares["facebook"])}" class="share-bar__item">Facebook</a>',
        f'          <a href="{attr(shares["linkedin"])}" class="share-bar__item">LinkedIn</a>',
        f'          <a href="{attr(shares["email"])}" class="share-bar__item">Email</a>',
        '          <button type="button" class="share-bar__item">Link</button>',
        '          <a href="/licensing/" class="share-bar__licensing">Purchase Licensing'
        " Rights</a>",
        "        </div>",
    ]
    if article.image:
        image = article.image
        out += [
            '        <figure class="wire-story__image">',
            f'          <img src="{attr(image.url)}" alt="{attr(image.alt)}" loading="eager">',
        ]
        if joined_caption(article):
            out.append(f"          <figcaption>{esc(joined_caption(article))}</figcaption>")
        out.append("        </figure>")
    out.append('        <div class="wire-story__body">')
    out += ["          " + paragraph_html(paragraph) for paragraph in body_paragraphs(article)]
    if article.credits:
        out.append("          " + paragraph_html(article.credits.raw, ' class="credits"'))
    out += [
        "        </div>",
        '        <p class="wire-story__standards">Our Standards: <a href="/principles/">'
        "The Meridian Wire Editorial Principles.</a></p>",
        "      </article>",
        "    </main>",
        '    <aside class="page-layout__rail">',
        '      <section class="newsletter-box">',
        "        <h2>Meridian Morning Brief</h2>",
        "        <p>The top stories from our correspondents around the world, in your inbox"
        " before markets open.</p>",
        '        <a class="newsletter-box__cta" href="/newsletters/morning-brief/">Sign up</a>',
        "      </section>",
        '      <section class="most-read">',
        "        <h2>Read Next</h2>",
        "        <ol>",
        *(f'          <li><a href="{attr(site_path(other))}">{esc(other.article.title)}</a>'
          "</li>" for other in related),
        "        </ol>",
        "      </section>",
        "    </aside>",
        "  </div>",
        '  <footer class="site-footer">',
        '    <div class="site-footer__links">',
        '      <a href="/about/">About Meridian Wire</a>',
        '      <a href="/careers/">Careers</a>',
        '      <a href="/licensing/">Licensing</a>',
        '      <a href="/terms-of-use/">Terms of Use</a>',
        '      <a href="/privacy-statement/">Privacy</a>',
        '      <a href="/accessibility/">Accessibility</a>',
        "    </div>",
        "    <p>All quotes delayed a minimum of 15 minutes.</p>",
        "    <p>&copy; 2026 Meridian Wire. All rights reserved.</p>",
        "  </footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


# --- Harbor City Gazette: a local paper, minimal markup -------------------------------------

HARBOR_NAV = ("News", "Local", "Politics", "Schools", "Sports", "Weather", "Culture",
              "Obituaries", "Classifieds")


def harbor_date(moment: datetime) -> str:
    return (f"{WEEKDAYS[moment.weekday()]}, {MONTHS[moment.month - 1]} {moment.day}, "
            f"{moment.year} {clock(moment)}")


def harbor_page(story: Story, related: Sequence[Story]) -> str:
    article = story.article
    role = "Staff Writer" if len(article.authors) == 1 else "Gazette Staff"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{attr(language(article))}">',
        "<head>",
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        f"<title>{esc(article.title)} | Harbor City Gazette</title>",
        f'<meta name="author" content="{attr(", ".join(article.authors))}">',
        f'<meta property="og:url" content="{attr(article.canonical_url)}">',
        '<link rel="stylesheet" type="text/css" href="/css/gazette.css">',
        '<script type="text/javascript" src="/js/jquery-1.12.4.min.js"></script>',
        "</head>",
        "<body>",
        '<div id="cookie-notice">This website uses cookies to ensure you get the best experience.'
        ' <a href="/privacy.html">Learn more</a> <a href="#" id="cookie-ok">Got it!</a></div>',
        '<div id="wrapper">',
        '<div id="masthead">',
        '<a href="/"><img src="/images/gazette-logo.gif" alt="Harbor City Gazette" width="460"'
        ' height="70"></a>',
        '<div id="weather-widget">Harbor City: 54&deg;F, Cloudy</div>',
        "</div>",
        '<ul id="topnav">',
        *(f'<li><a href="/{name.lower()}/">{name}</a></li>' for name in HARBOR_NAV),
        "</ul>",
        '<div id="content">',
        f"<h1>{esc(article.title)}</h1>",
        f'<p class="byline">By {esc(join_names(article.authors))}, {role}</p>',
        f'<p class="dateline">Posted <time datetime="{iso(story.published)}">'
        f"{harbor_date(story.published)}</time>",
    ]
    if story.updated:
        out[-1] += (f' | Last updated <time datetime="{iso(story.updated)}">'
                    f"{harbor_date(story.updated)}</time>")
    out[-1] += "</p>"
    out.append('<div class="share">Share: <a href="' + attr(share_links(article)["facebook"])
               + '">Facebook</a> | <a href="' + attr(share_links(article)["email"])
               + '">Email</a> | <a href="javascript:window.print()">Print</a></div>')
    if article.image:
        image = article.image
        out += [
            '<div class="photo">',
            f'<img src="{attr(image.url)}" alt="{attr(image.alt)}" width="620">',
        ]
        if joined_caption(article):
            out.append(f'<div class="caption">{esc(joined_caption(article))}</div>')
        out.append("</div>")
    out.append('<div class="story">')
    out += [paragraph_html(paragraph) for paragraph in body_paragraphs(article)]
    if article.credits:
        out.append(paragraph_html(article.credits.raw))
    out += [
        "</div>",
        '<div class="signup-box">',
        "<b>Get the Gazette in your inbox.</b> Sign up for our free daily headlines email.",
        '<form action="/cgi-bin/signup.pl" method="post"><input type="text" name="email"'
        ' size="24"> <input type="submit" value="Sign Up"></form>',
        "</div>",
        '<div class="more-stories">',
        "<h3>More local news</h3>",
        "<ul>",
        *(f'<li><a href="{attr(site_path(other))}">{esc(other.article.title)}</a></li>'
          for other in related),
        "</ul>",
        "</div>",
        "</div>",
        '<div id="footer">',
        '<a href="/about.html">About Us</a> | <a href="/contact.html">Contact Us</a> |'
        ' <a href="/advertise.html">Advertise</a> | <a href="/subscribe.html">Subscribe</a> |'
        ' <a href="/privacy.html">Privacy Policy</a>',
        "<br>Copyright &copy; 2026 Harbor City Gazette, 100 Wharf Street, Harbor City."
        " All rights reserved.",
        "</div>",
        "</div>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


# --- Reuters: the one real seed, a Reuters-like page with JSON-LD ---------------------------

REUTERS_NAV = ("World", "Business", "Markets", "Sustainability", "Legal", "Breakingviews",
               "Technology", "Investigations")
REUTERS_READ_NEXT = (("/world/europe/", "Europe"), ("/world/us/", "United States"),
                     ("/world/ukraine-russia-war/", "Russia-Ukraine war"))


def reuters_date(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year} {clock(moment)} UTC"


def reuters_page(story: Story, related: Sequence[Story]) -> str:
    article = story.article
    published = story.published.astimezone(timezone.utc)
    modified = story.modified.astimezone(timezone.utc)
    caption, credit = caption_parts(article)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "datePublished": iso(published, zulu=True),
        "dateModified": iso(modified, zulu=True),
        "author": [
            {"@type": "Person", "name": name,
             "url": f"https://www.reuters.com/authors/{slugify(name)}/"}
            for name in article.authors
        ],
        "publisher": {"@type": "Organization", "name": "Reuters",
                      "logo": {"@type": "ImageObject",
                               "url": "https://www.reuters.com/pf/resources/images/reuters/"
                                      "logo-vertical-default-512x512.png"}},
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.canonical_url},
        "articleSection": story.section.title(),
        "isAccessibleForFree": True,
    }
    if article.image:
        data["image"] = {"@type": "ImageObject", "url": article.image.url,
                         "caption": caption, "creditText": credit}
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{attr(language(article))}">',
        "<head>",
        '  <meta charset="utf-8">',
        '  <meta name="viewport" content="width=device-width, initial-scale=1">',
        f"  <title>{esc(article.title)} | Reuters</title>",
        f'  <meta name="description" content="{attr(article.summary)}">',
        f'  <meta property="og:title" content="{attr(article.title)}">',
        f'  <meta property="og:url" content="{attr(article.canonical_url)}">',
        '  <meta property="og:site_name" content="Reuters">',
    ]
    if article.image:
        out.append(f'  <meta property="og:image" content="{attr(article.image.url)}">')
    out += [
        f'  <meta property="article:published_time" content="{iso(published, zulu=True)}">',
        f'  <link rel="canonical" href="{attr(article.canonical_url)}">',
        '  <script type="application/ld+json">',
        json_ld(data),
        "  </script>",
        "</head>",
        "<body>",
        '  <div id="onetrust-banner-sdk" class="otFlat" role="region"'
        ' aria-label="Cookie banner">',
        '    <p id="onetrust-policy-text">We use cookies and similar technologies to give you a'
        " better experience, improve performance, analyze traffic, and to personalize content."
        ' <a href="https://www.thomsonreuters.com/en/privacy-statement.html">Cookie Policy</a>'
        "</p>",
        '    <button id="onetrust-accept-btn-handler">Accept All</button>',
        '    <button id="onetrust-pc-btn-handler">Cookie Settings</button>',
        "  </div>",
        '  <header class="site-header" data-testid="SiteHeader">',
        '    <a href="/" aria-label="Reuters home" class="site-header__logo">Reuters</a>',
        '    <nav aria-label="Main navigation">',
        *(f'      <a href="/{name.lower()}/" data-testid="Link">{name}</a>'
          for name in REUTERS_NAV),
        "    </nav>",
        '    <a href="/account/register/sign-up/" class="site-header__cta">Register</a>',
        "  </header>",
        '  <main id="main-content">',
        '    <article class="article__container" data-testid="ArticleContainer">',
        '      <header class="article-header">',
        '        <nav class="breadcrumbs" aria-label="Tags"><a href="/world/">World</a>'
        "</nav>",
        f'        <h1 data-testid="Heading">{esc(article.title)}</h1>',
        '        <div class="article-header__byline" data-testid="AuthorByline">By '
        + join_names([f'<a rel="author" href="/authors/{slugify(name)}/">{esc(name)}</a>'
                      for name in article.authors])
        + "</div>",
        '        <div class="article-header__dateline">',
        f'          <time datetime="{iso(published, zulu=True)}" data-testid="DateLineText">'
        f"{reuters_date(published)}</time>",
        "        </div>",
        '        <div class="article-header__toolbar">',
        f'          <a href="{attr(share_links(article)["x"])}" data-testid="ShareX">'
        "Share on X</a>",
        f'          <a href="{attr(share_links(article)["linkedin"])}"'
        ' data-testid="ShareLinkedIn">Share on LinkedIn</a>',
        '          <button type="button" data-testid="ShareCopy">Copy link</button>',
        "        </div>",
        "      </header>",
    ]
    if article.image:
        image = article.image
        out += [
            '      <figure class="primary-image" data-testid="primary-image">',
            f'        <img src="{attr(image.url)}" alt="{attr(image.alt)}" width="1920"'
            ' height="1280">',
        ]
        if joined_caption(article):
            out.append(f'        <figcaption data-testid="primary-caption">'
                       f"{esc(joined_caption(article))}</figcaption>")
        out += [
            "      </figure>",
            '      <a class="licensing" href="https://www.reutersagency.com/en/licensing/">'
            "Purchase Licensing Rights</a>",
        ]
    out.append('      <div class="article-body__content" data-testid="ArticleBody">')
    for number, paragraph in enumerate(body_paragraphs(article)):
        out.append("        " + paragraph_html(
            paragraph, f' data-testid="paragraph-{number}" class="article-body__paragraph"'))
        if number == 0:
            out += [
                '        <aside class="newsletter-promo" data-testid="promo-box">',
                "          <p>Get a daily digest of breaking news delivered to your inbox."
                ' <a href="/newsletters/">Sign up here.</a></p>',
                "        </aside>",
            ]
    if article.credits:
        out.append("        " + paragraph_html(article.credits.raw, ' class="sign-off"'
                                               ' data-testid="SignOff"'))
    out += [
        "      </div>",
        '      <p class="trust-badge">Our Standards: <a href="https://www.thomsonreuters.com/'
        'en/about-us/trust-principles.html">The Thomson Reuters Trust Principles.</a></p>',
        "    </article>",
        '    <section class="read-next" data-testid="ReadNext">',
        "      <h2>Read Next</h2>",
        "      <ul>",
        *(f'        <li><a href="{path}">{label}</a></li>' for path, label in REUTERS_READ_NEXT),
        *(f'        <li><a href="{attr(site_path(other))}">{esc(other.article.title)}</a>'
          "</li>" for other in related),
        "      </ul>",
        "    </section>",
        "  </main>",
        '  <footer class="site-footer" data-testid="Footer">',
        '    <a href="/info-pages/about-us/">About Reuters</a>',
        '    <a href="/info-pages/terms-of-use/">Terms of Use</a>',
        '    <a href="/info-pages/privacy-policy/">Privacy</a>',
        '    <a href="/info-pages/accessibility/">Accessibility</a>',
        "    <p>All quotes delayed a minimum of 15 minutes. &copy; 2023 Reuters."
        " All rights reserved</p>",
        "  </footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"


TEMPLATES: dict[str, Callable[[Story, Sequence[Story]], str]] = {
    "northwind-herald": northwind_page,
    "meridian-wire": meridian_page,
    "harbor-gazette": harbor_page,
    "reuters": reuters_page,
}


def render_page(story: Story, related: Sequence[Story]) -> str:
    """The story's article page, in its outlet's template."""
    return TEMPLATES[story.outlet.key](story, related)
