//! Small roff helpers: the title line, escaping text for roff, and tidying
//! clap_mangen's output so that `mandoc -Tlint` has nothing to say (one
//! apostrophe preamble, text lines of at most 80 bytes, no trailing
//! whitespace).

/// clap_mangen's apostrophe definition, written once per rendered section;
/// the page needs it once.
pub const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// Longest text line the tidy pass leaves (mandoc warns past 80 bytes).
const WIDTH: usize = 78;

/// The `.TH` line.
pub fn title(name: &str, section: &str, date: &str, source: &str, manual: &str) -> String {
    format!(
        ".TH {} {section} {date} \"{source}\" \"{manual}\"\n",
        name.to_uppercase()
    )
}

/// Plain text as a roff text line: backslashes and hyphens escaped, and a
/// leading `.` or `'` kept from being read as a request.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    if text.starts_with(['.', '\'']) {
        out.push_str("\\&");
    }
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            c => out.push(c),
        }
    }
    out
}

/// Removes every copy of [`PREAMBLE`].
pub fn strip_preamble(text: &str) -> String {
    text.replace(PREAMBLE, "")
}

/// Tidies a whole page: trailing whitespace and blank lines go, long text
/// lines are refilled. Lines that must stay as they are keep their shape:
/// requests, the tag line after `.TP`, lines in no-fill blocks (`.nf`,
/// `.EX`), and lines starting with a space.
pub fn tidy(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut keep_next = false;
    let mut no_fill = false;
    for line in page.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            // A blank line means something only where lines are kept as
            // they are; elsewhere mandoc warns about it.
            if no_fill {
                out.push('\n');
            }
            continue;
        }
        let request = line.starts_with(['.', '\'']);
        if request {
            let name = line.split_whitespace().next().unwrap_or_default();
            match name {
                ".nf" | ".EX" => no_fill = true,
                ".fi" | ".EE" => no_fill = false,
                _ => {}
            }
            keep_next = name == ".TP";
            // clap_mangen writes `.br` twice before a list of possible
            // values; mandoc warns about the second.
            if name == ".br" && out.ends_with(".br\n") {
                continue;
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if keep_next || no_fill || line.starts_with(' ') || line.len() <= 80 {
            out.push_str(line);
            out.push('\n');
        } else {
            for part in refill(line, WIDTH) {
                out.push_str(&part);
                out.push('\n');
            }
        }
        keep_next = false;
    }
    out
}

/// Breaks one text line at unescaped spaces into lines of at most `width`
/// bytes where words allow.
fn refill(line: &str, width: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b' ' && (i == 0 || bytes[i - 1] != b'\\') {
            words.push(&line[start..i]);
            start = i + 1;
        }
    }
    words.push(&line[start..]);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in words.into_iter().filter(|w| !w.is_empty()) {
        if !current.is_empty() && current.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            if word.starts_with(['.', '\'']) {
                current.push_str("\\&");
            }
        } else {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a-b \\ c"), "a\\-b \\e c");
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("'quoted'"), "\\&'quoted'");
    }

    #[test]
    fn tidy_refills_long_text_and_keeps_the_rest() {
        let long = "word ".repeat(30);
        let page = format!(
            ".SH X   \n\n{long}\n.TP\n{long}\n.EX\n{long}\n.EE\n word .config {}\n",
            "y".repeat(90)
        );
        let tidy = tidy(&page);
        let lines: Vec<&str> = tidy.lines().collect();
        assert_eq!(lines[0], ".SH X");
        assert!(lines[1].len() <= WIDTH && lines[2].len() <= WIDTH);
        assert!(tidy.contains(&format!(".TP\n{}\n", long.trim_end())));
        assert!(tidy.contains(&format!(".EX\n{}\n.EE", long.trim_end())));
        // A continuation starting with a dot is not taken for a request.
        assert_eq!(refill("a .b", 2), vec!["a", "\\&.b"]);
        // Escaped spaces do not break.
        assert_eq!(refill("a\\ b c", 4), vec!["a\\ b", "c"]);
        assert!(!tidy.lines().any(|l| l.ends_with(' ')));
    }
}
