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

/// Cuts a long label so it fits its column.
fn fit(label: &str, max_chars: usize) -> String {
    if label.chars().count() <= max_chars {
        label.to_string()
    } else {
        let cut: String = label.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{cut}…")
    }
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
    let height = TOP * 2.0 + bars.len() as f64 * (BAR_HEIGHT + GAP);
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" font-family="{FONT_FAMILY}" font-size="11"><title>{}</title>"#,
        escape(&table.title)
    );
    for (i, (label, cell)) in bars.iter().enumerate() {
        let y = TOP + i as f64 * (BAR_HEIGHT + GAP);
        let text_y = y + BAR_HEIGHT * 0.7;
        out.push_str(&format!(
            r##"<text x="{x}" y="{text_y}" text-anchor="end" fill="#222">{}</text>"##,
            escape(&fit(label, 30)),
            x = LABEL_WIDTH - 6.0,
        ));
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
