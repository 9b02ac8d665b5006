//! Link extraction.
