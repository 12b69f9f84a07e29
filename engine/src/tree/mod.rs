//! The writer stage into a directory tree.
