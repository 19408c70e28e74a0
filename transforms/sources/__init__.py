"""Where entries come from: feeds, JSON Feed, sitemaps, site discovery, the poll schedule."""
