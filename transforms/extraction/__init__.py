"""From a page to an Article: body, title, bylines, lead image, captions, credits, metadata."""
