//! Server key loading and generation (being written).
