//! Desktop notifications for SecureChat messages (being written).

fn main() {}
