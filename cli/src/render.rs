//! Rendering engine events on a terminal (progress bar, messages) or as JSON lines.
