//! TLS 1.3 configuration (being written).
