"""Tools that build the offline news corpus in `seeds/corpus/` from its hand-written sources."""
