"""Reading mail, pure (no database): parse (``parse``, the MIME walk) and its helpers, screening, quotes."""
