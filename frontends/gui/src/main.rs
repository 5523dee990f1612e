//! SecureChat desktop frontend (being written).

fn main() {}
