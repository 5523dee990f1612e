//! Column alignment for the list commands: each column as wide as its
//! widest cell, the last one left ragged.

/// Which side of its column a cell sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers and times.
    Right,
}

/// Formats rows into lines, columns separated by two spaces. Widths count
/// characters, which is right for the names and marks this CLI prints.
pub fn render(rows: &[Vec<String>], align: &[Align]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i] - cell.chars().count();
            let last = i + 1 == row.len();
            match align.get(i).copied().unwrap_or(Align::Left) {
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
                Align::Left => {
                    line.push_str(cell);
                    if !last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let rows = vec![
            vec!["alice".to_string(), "3".to_string(), "online".to_string()],
            vec!["bo".to_string(), "12".to_string(), String::new()],
        ];
        assert_eq!(
            render(&rows, &[Align::Left, Align::Right, Align::Left]),
            "alice   3  online\nbo     12\n"
        );
        assert_eq!(render(&[], &[]), "");
    }
}
