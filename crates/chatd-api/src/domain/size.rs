//! A file's size for people, one way in every text frontend: decimal
//! units as file managers show them, so "1.2 MB" in `chat` is "1.2 MB" in
//! chat-tui.

/// "512 bytes", "1 byte", "1.2 kB", "45.6 MB", "123 MB", "2.0 GB".
pub fn file_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return match bytes {
            1 => "1 byte".to_string(),
            n => format!("{n} bytes"),
        };
    }
    // Display only: f64 is exact enough (u64 up to 18 EB fits its range).
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value >= 99.95 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_file_managers_show_them() {
        assert_eq!(file_size(0), "0 bytes");
        assert_eq!(file_size(1), "1 byte");
        assert_eq!(file_size(999), "999 bytes");
        assert_eq!(file_size(1_000), "1.0 kB");
        assert_eq!(file_size(1_234_567), "1.2 MB");
        assert_eq!(file_size(45_600_000), "45.6 MB");
        assert_eq!(file_size(123_000_000), "123 MB");
        assert_eq!(file_size(999_999_999), "1.0 GB");
        assert_eq!(file_size(u64::MAX), "18447 PB");
    }
}
