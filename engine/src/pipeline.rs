//! pipeline stage (filled in by its issue).
