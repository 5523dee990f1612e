//! SecureChat terminal frontend (being written).

fn main() {}
