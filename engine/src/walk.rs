//! walk stage (filled in by its issue).
