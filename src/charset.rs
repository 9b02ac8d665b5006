//! Character encoding detection.
