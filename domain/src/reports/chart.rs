//! Bar charts of report tables as SVG. The dashboard puts the SVG in the page and the PDF draws
//! the same SVG, so both show the same picture of the same (suppressed) figures.

use super::{Cell, Table};

/// The font the SVG names; the PDF renderer loads DejaVu Sans under this name (it has Cyrillic
/// and the Kazakh letters), browsers fall back to their sans-serif.
pub const FONT_FAMILY: &str = "DejaVu Sans, sans-serif";

const WIDTH: f64 = 520.0;
const LABEL_WIDTH: f64 = 190.0;
const BAR_HEIGHT: f64 = 18.0;
const GAP: f64 = 8.0;
const TOP: f64 = 8.0;
const BAR_COLOUR: &str = "#2f6f8f";

/// Escapes text for SVG (labels come from names people typed).
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if c.is_control() => String::new(),
            c => c.to_string(),
        })
        .collect()
}

/// The characters a label's line holds in its column (DejaVu Sans at 11 px averages under
/// 6.5 px a character; the column is 184 px).
const LINE_CHARS: usize = 28;
/// The height of one line of a label.
const LINE_HEIGHT: f64 = 13.0;

/// Breaks a label into lines that fit its column: at spaces where it can, inside a word longer
/// than a line where it must. Nothing is cut (issue 19, principle 8).
fn lines(label: &str, max_chars: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in label.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > max_chars {
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.push(word.drain(..max_chars).collect());
        }
        let len = line.chars().count();
        if len > 0 && len + 1 + word.len() > max_chars {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.extend(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// The bars `table` draws: one per row but the totals row, from its chart column.
pub fn bars(table: &Table) -> Vec<(String, Cell)> {
    let Some(column) = table.chart_column else {
        return Vec::new();
    };
    table
        .rows
        .iter()
        .filter(|r| !r.total)
        .filter_map(|r| Some((r.label.clone(), r.cells.get(column)?.clone())))
        .collect()
}

/// A horizontal bar chart of `table`'s chart column, or `None` when it has nothing to draw.
/// Suppressed cells get no bar, only their "<5"; the scale is the largest shown value.
pub fn svg(table: &Table) -> Option<String> {
    let bars = bars(table);
    if bars.is_empty() {
        return None;
    }
    let max = bars
        .iter()
        .filter_map(|(_, c)| c.value())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let percent = bars.iter().any(|(_, c)| matches!(c, Cell::Percent(_)));
    let scale_max = if percent { 100.0 } else { max };
    let plot = WIDTH - LABEL_WIDTH - 50.0;
    // A row is as tall as its label's lines, at least a bar.
    let labels: Vec<Vec<String>> = bars.iter().map(|(l, _)| lines(l, LINE_CHARS)).collect();
    let row_height = |ls: &Vec<String>| BAR_HEIGHT.max(ls.len() as f64 * LINE_HEIGHT);
    let height = TOP * 2.0 + labels.iter().map(|ls| row_height(ls) + GAP).sum::<f64>();
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" font-family="{FONT_FAMILY}" font-size="11"><title>{}</title>"#,
        escape(&table.title)
    );
    let mut top = TOP;
    for ((_, cell), label) in bars.iter().zip(&labels) {
        let row = row_height(label);
        // The bar in the middle of its row, the label's lines centred beside it.
        let y = top + (row - BAR_HEIGHT) / 2.0;
        let text_y = y + BAR_HEIGHT * 0.7;
        let first = top + (row - label.len() as f64 * LINE_HEIGHT) / 2.0 + LINE_HEIGHT * 0.8;
        let x = LABEL_WIDTH - 6.0;
        out.push_str(r##"<text text-anchor="end" fill="#222">"##);
        for (n, line) in label.iter().enumerate() {
            out.push_str(&format!(
                r#"<tspan x="{x}" y="{:.1}">{}</tspan>"#,
                first + n as f64 * LINE_HEIGHT,
                escape(line)
            ));
        }
        out.push_str("</text>");
        top += row + GAP;
        let w = cell.value().map_or(0.0, |v| v as f64 / scale_max * plot);
        if w > 0.0 {
            out.push_str(&format!(
                r#"<rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>"#
            ));
        }
        out.push_str(&format!(
            r##"<text x="{x:.1}" y="{text_y}" fill="#222">{}</text>"##,
            escape(&cell.display()),
            x = LABEL_WIDTH + w + 4.0,
        ));
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::Row;

    fn t(rows: Vec<(&str, Cell, bool)>) -> Table {
        Table {
            key: "k".into(),
            title: "Closures <by reason>".into(),
            columns: vec!["Reason".into(), "Pairs".into()],
            rows: rows
                .into_iter()
                .map(|(l, c, total)| Row {
                    label: l.into(),
                    cells: vec![c],
                    total,
                })
                .collect(),
            chart_column: Some(0),
            total_column: false,
        }
    }

    #[test]
    fn long_labels_wrap_in_full_and_their_rows_grow() {
        let long = "Завершение срока наставничества по договору с учреждением";
        let word = "Қарағандыоблысыныңбалаларүйлерінедостықпен";
        for label in [long, word, "Short", ""] {
            let ls = lines(label, LINE_CHARS);
            assert!(ls.iter().all(|l| l.chars().count() <= LINE_CHARS), "{ls:?}");
            assert_eq!(
                ls.concat().replace(' ', ""),
                label.replace(' ', ""),
                "{ls:?}"
            );
            // A word that fits a line is never broken.
            for w in label
                .split_whitespace()
                .filter(|w| w.chars().count() <= LINE_CHARS)
            {
                assert!(
                    ls.iter().any(|l| l.split(' ').any(|x| x == w)),
                    "{w}: {ls:?}"
                );
            }
        }
        assert_eq!(lines("Short", LINE_CHARS), vec!["Short"]);
        assert_eq!(lines(long, LINE_CHARS).len(), 3);
        let one = svg(&t(vec![("Short", Cell::Count(3), false)])).unwrap();
        let two = svg(&t(vec![
            ("Short", Cell::Count(3), false),
            (long, Cell::Count(4), false),
        ]))
        .unwrap();
        assert!(!two.contains('…'), "{two}");
        for part in lines(long, LINE_CHARS) {
            assert!(two.contains(&format!(">{part}</tspan>")), "{part}: {two}");
        }
        let height = |svg: &str| -> f64 {
            svg.split("height=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(height(&two) > 2.0 * height(&one) - 2.0 * TOP, "{two}");
    }

    #[test]
    fn bars_scale_to_the_largest_shown_value_and_suppressed_cells_have_none() {
        let svg = svg(&t(vec![
            ("Term completed", Cell::Count(10), false),
            ("Child moved & other", Cell::Count(5), false),
            ("Safeguarding", Cell::Suppressed, false),
            ("Total", Cell::Count(18), true),
        ]))
        .unwrap();
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(svg.contains(r#"width="280.0""#), "{svg}");
        assert!(svg.contains(r#"width="140.0""#), "{svg}");
        assert!(svg.contains("&lt;5"));
        assert!(svg.contains("Child moved &amp; other"));
        assert!(svg.contains("<title>Closures &lt;by reason&gt;</title>"));
        assert!(!svg.contains("Total"));
    }

    #[test]
    fn nothing_to_draw_is_no_chart() {
        assert_eq!(svg(&t(vec![("Total", Cell::Count(0), true)])), None);
    }
}
