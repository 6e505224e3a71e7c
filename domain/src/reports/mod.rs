//! Periodic and on-demand reports: their periods, the figures of a tenant's period and how they
//! are presented (tables with small cells suppressed, and charts).
//!
//! The figures are computed once (`figures`, SQL aggregates) and presented once (`tables`):
//! the PDF, the CSV, the XLSX and the dashboard all draw the same tables, so a cell suppressed
//! in one is suppressed in all. Suppression happens in `tables` and nowhere else.

pub mod chart;
#[cfg(feature = "server")]
pub mod entity;
#[cfg(feature = "server")]
pub mod figures;
pub mod grants;
#[cfg(feature = "server")]
pub mod service;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Error;
use crate::i18n::Locale;
use crate::matching::CloseReason;
use crate::selection::StageKind;
use crate::support::Severity;

/// Counts under this are shown as "<5" in every report, so that no child can be identified.
pub const SMALL_CELL: u64 = 5;
/// The longest period a report can be asked for.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// Who reads a report, which decides whether its small cells are suppressed (PRODUCT.md, W5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// The organisation's own admins, who can open the records anyway: exact counts, so a small
    /// NGO can read its own month.
    Own,
    /// Readers outside the organisation (a lead, a funder, whoever a report marked for sharing
    /// goes to): cells under five suppressed, totals protected.
    Shared,
}

impl Audience {
    /// A network or funder report always leaves the organisation; any other report when it is
    /// marked for sharing.
    pub fn of(kind: ReportKind, shared: bool) -> Audience {
        match kind {
            ReportKind::Network | ReportKind::Funder => Audience::Shared,
            _ if shared => Audience::Shared,
            _ => Audience::Own,
        }
    }

    fn count(self, n: u64) -> Cell {
        match self {
            Audience::Own => Cell::Count(n),
            Audience::Shared => Cell::count(n),
        }
    }

    fn percent(self, part: u64, whole: u64) -> Cell {
        match (self, whole) {
            (_, 0) => Cell::Empty,
            (Audience::Own, w) => Cell::Percent(((part * 100 + w / 2) / w) as u32),
            (Audience::Shared, w) => Cell::percent(part, w),
        }
    }

    fn average_days(self, total_days: u64, people: u64) -> Cell {
        match (self, people) {
            (_, 0) => Cell::Empty,
            (Audience::Own, p) => Cell::Days(((total_days + p / 2) / p) as u32),
            (Audience::Shared, p) => Cell::average_days(total_days, p),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Monthly,
    Quarterly,
    /// Asked for on demand, for any period.
    Custom,
    /// A grant's progress against its targets, for its funder.
    Funder,
    /// A lead organisation's figures with its partners', side by side.
    Network,
}

impl ReportKind {
    pub const ALL: [ReportKind; 5] = [
        ReportKind::Monthly,
        ReportKind::Quarterly,
        ReportKind::Custom,
        ReportKind::Funder,
        ReportKind::Network,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Monthly => "monthly",
            ReportKind::Quarterly => "quarterly",
            ReportKind::Custom => "custom",
            ReportKind::Funder => "funder",
            ReportKind::Network => "network",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_key(self) -> &'static str {
        match self {
            ReportKind::Monthly => "report-kind-monthly",
            ReportKind::Quarterly => "report-kind-quarterly",
            ReportKind::Custom => "report-kind-custom",
            ReportKind::Funder => "report-kind-funder",
            ReportKind::Network => "report-kind-network",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 4] = [
        ReportStatus::Queued,
        ReportStatus::Running,
        ReportStatus::Done,
        ReportStatus::Failed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Queued => "queued",
            ReportStatus::Running => "running",
            ReportStatus::Done => "done",
            ReportStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_key(self) -> &'static str {
        match self {
            ReportStatus::Queued => "report-status-queued",
            ReportStatus::Running => "report-status-running",
            ReportStatus::Done => "report-status-done",
            ReportStatus::Failed => "report-status-failed",
        }
    }
    pub fn is_finished(self) -> bool {
        matches!(self, ReportStatus::Done | ReportStatus::Failed)
    }
}

/// A report's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Pdf,
    Csv,
    Xlsx,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Pdf, ReportFormat::Csv, ReportFormat::Xlsx];
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "pdf",
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "application/pdf",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// A report asked for on demand: its first and last day, and its language (the asker's if
/// not given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub from: NaiveDate,
    /// The period's last day (inclusive).
    pub to: NaiveDate,
    #[serde(default)]
    pub locale: Option<Locale>,
    /// A lead organisation's network report: its figures and each partner's side by side (no
    /// partner's regions, cohorts or people).
    #[serde(default)]
    pub network: bool,
    /// For readers outside the organisation (a funder, a partner, a ministry): counts under
    /// five are suppressed, and the period must be a whole month, quarter or year. Without it
    /// the report is the organisation's own, with exact counts. A network report is always
    /// shared.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReportLink {
    pub format: ReportFormat,
    /// The file through the API (`GET`, bearer token).
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ReportView {
    pub id: Uuid,
    pub kind: ReportKind,
    pub from: NaiveDate,
    /// The period's last day.
    pub to: NaiveDate,
    pub locale: Locale,
    pub status: ReportStatus,
    /// 0–100.
    pub progress: u8,
    /// Why it failed (an i18n key), when it did.
    pub error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The files, once done.
    pub links: Vec<ReportLink>,
    /// A funder report's grant.
    pub grant_id: Option<Uuid>,
    /// Small cells suppressed, for readers outside the organisation (`Audience::Shared`).
    #[serde(default)]
    pub shared: bool,
}

/// A period of the tenant's calendar: from `from` up to, not including, `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Period {
    pub from: NaiveDate,
    /// The day after the period's last day.
    pub to: NaiveDate,
}

impl Period {
    fn first_of_month(d: NaiveDate) -> NaiveDate {
        d.with_day(1).unwrap_or(d)
    }

    /// The last full month before `today`.
    pub fn month_before(today: NaiveDate) -> Period {
        let to = Self::first_of_month(today);
        let from = to.checked_sub_months(Months::new(1)).unwrap_or(to);
        Period { from, to }
    }

    /// The last full calendar quarter before `today`.
    pub fn quarter_before(today: NaiveDate) -> Period {
        let quarter_month = (today.month0() / 3) * 3 + 1;
        let to = NaiveDate::from_ymd_opt(today.year(), quarter_month, 1).unwrap_or(today);
        let from = to.checked_sub_months(Months::new(3)).unwrap_or(to);
        Period { from, to }
    }

    /// A period asked for on demand, `first` to `last` inclusive: not backwards, not starting
    /// in the future, at most a year.
    pub fn custom(first: NaiveDate, last: NaiveDate, today: NaiveDate) -> Result<Period, Error> {
        if last < first {
            return Err(Error::invalid("to", "error-report-period-order"));
        }
        if first > today {
            return Err(Error::invalid("from", "error-report-period-future"));
        }
        if (last - first).num_days() + 1 > MAX_PERIOD_DAYS {
            return Err(Error::invalid("to", "error-report-period-long"));
        }
        Ok(Period {
            from: first,
            to: last.succ_opt().unwrap_or(last),
        })
    }

    /// Whether the period is one whole calendar month, quarter or year. Reports that carry
    /// another organisation's figures (the network report) come only in these: two
    /// overlapping periods (1–31 October against 2–31 October) would give away by their
    /// difference the one day's counts that suppression hides.
    pub fn is_whole_calendar_unit(&self) -> bool {
        let after = |months| self.from.checked_add_months(Months::new(months));
        self.from.day() == 1
            && (after(1) == Some(self.to)
                || (self.from.month0().is_multiple_of(3) && after(3) == Some(self.to))
                || (self.from.month() == 1 && after(12) == Some(self.to)))
    }

    /// The period's last day.
    pub fn last_day(&self) -> NaiveDate {
        self.to.pred_opt().unwrap_or(self.to)
    }

    /// As people read it here: `01.10.2026–31.10.2026`.
    pub fn label(&self) -> String {
        format!(
            "{}–{}",
            self.from.format("%d.%m.%Y"),
            self.last_day().format("%d.%m.%Y")
        )
    }

    /// The scheduled report's period label in keys (`2026-10`, `2026-Q3`).
    pub fn key(&self, kind: ReportKind) -> String {
        match kind {
            ReportKind::Monthly => self.from.format("%Y-%m").to_string(),
            ReportKind::Quarterly => {
                format!("{}-Q{}", self.from.year(), self.from.month0() / 3 + 1)
            }
            ReportKind::Custom | ReportKind::Funder | ReportKind::Network => {
                format!("{}_{}", self.from, self.last_day())
            }
        }
    }
}

/// One cell of a presented table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Cell {
    Count(u64),
    /// A share in whole per cent.
    Percent(u32),
    /// An average in whole days.
    Days(u32),
    /// A count under `SMALL_CELL`, or a figure computed from fewer than `SMALL_CELL` people.
    Suppressed,
    /// Nothing to show (an average of nobody).
    Empty,
    /// Words, not a figure (a grant's funder, its period).
    Text(String),
}

impl Cell {
    /// A count as shown: 0 and 5 or more as they are, 1 to 4 suppressed. A zero identifies
    /// nobody, and hiding it would hide that a region had no one waiting at all.
    pub fn count(n: u64) -> Cell {
        if n > 0 && n < SMALL_CELL {
            Cell::Suppressed
        } else {
            Cell::Count(n)
        }
    }

    /// `part` of `whole` in per cent; suppressed when `whole` counts fewer than five.
    pub fn percent(part: u64, whole: u64) -> Cell {
        match whole {
            0 => Cell::Empty,
            w if w < SMALL_CELL => Cell::Suppressed,
            w => Cell::Percent(((part * 100 + w / 2) / w) as u32),
        }
    }

    /// The average of `total_days` over `people`; suppressed under five people.
    pub fn average_days(total_days: u64, people: u64) -> Cell {
        match people {
            0 => Cell::Empty,
            p if p < SMALL_CELL => Cell::Suppressed,
            p => Cell::Days(((total_days + p / 2) / p) as u32),
        }
    }

    /// The number a chart draws (none for suppressed and empty cells).
    pub fn value(&self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(*n),
            Cell::Percent(n) | Cell::Days(n) => Some(u64::from(*n)),
            Cell::Suppressed | Cell::Empty | Cell::Text(_) => None,
        }
    }

    /// As written in every file and page.
    pub fn display(&self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Percent(n) => format!("{n}%"),
            Cell::Days(n) => n.to_string(),
            Cell::Suppressed => format!("<{SMALL_CELL}"),
            Cell::Empty => "—".to_string(),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// A presented table: titled, labelled, in the report's language, cells already suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Stable section name (`funnel`, `closures`, …), also the XLSX sheet and CSV section.
    pub key: String,
    pub title: String,
    /// Heading of the label column, then of each cell column.
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// The cell column drawn as a bar chart, if any.
    pub chart_column: Option<usize>,
    /// The last cell of each row is the sum of the row's others.
    #[serde(default)]
    pub total_column: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
    /// The totals row (bold, and not a bar of the chart).
    pub total: bool,
}

/// One step of the selection funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FunnelStep {
    Submitted,
    Stage(StageKind),
    Selected,
}

impl FunnelStep {
    pub fn all() -> Vec<FunnelStep> {
        let mut steps = vec![FunnelStep::Submitted];
        steps.extend(StageKind::ALL.into_iter().map(FunnelStep::Stage));
        steps.push(FunnelStep::Selected);
        steps
    }
    fn label(self, l: Locale) -> String {
        match self {
            FunnelStep::Submitted => l.t("report-funnel-submitted"),
            FunnelStep::Stage(s) => l.t(&s.label_key()),
            FunnelStep::Selected => l.t("report-funnel-selected"),
        }
    }
}

/// A School of Mentors or training that started in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortFigures {
    pub title: String,
    pub starts_on: NaiveDate,
    pub enrolled: u64,
    pub completed: u64,
}

/// One region's meetings and pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionActivity {
    /// Meeting protocols held in the period.
    pub meetings: u64,
    /// Group sessions held in the period.
    pub group_sessions: u64,
    /// Pairs active on the period's last day.
    pub pairs: u64,
    /// Of those, pairs not overdue on that day (`support::standing`).
    pub pairs_on_track: u64,
    /// Groups active on the period's last day.
    pub groups: u64,
    /// Children waiting for a mentor at the period's end, and their waits added up in days.
    pub children_waiting: u64,
    pub waiting_days: u64,
}

/// The exact figures of one tenant's period. Never shown as they are: `tables` presents them
/// with small cells suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub period: Period,
    /// Region names; every per-region vector below follows this order. A last entry "no
    /// region" is there only when some application named none.
    pub regions: Vec<String>,
    /// Applications submitted in the period that reached each step, per region.
    pub funnel: Vec<(FunnelStep, Vec<u64>)>,
    /// Documents that failed the checks or a coordinator's review in the period, by reason code
    /// (`rejected_by_staff` for a coordinator's rejection).
    pub documents_rejected: Vec<(String, u64)>,
    pub cohorts: Vec<CohortFigures>,
    /// Mentors with an active pair or group on the period's last day.
    pub active_mentors: u64,
    pub activity: Vec<RegionActivity>,
    /// Pairs closed in the period, by reason.
    pub closures: Vec<(CloseReason, u64)>,
    /// Concerns opened and resolved in the period, by severity.
    pub concerns: Vec<(Severity, u64, u64)>,
}

/// The reason code of a coordinator's rejection in `Figures::documents_rejected`.
pub const REJECTED_BY_STAFF: &str = "rejected_by_staff";

fn sum(v: impl IntoIterator<Item = u64>) -> u64 {
    v.into_iter().sum()
}

fn row(label: String, cells: Vec<Cell>) -> Row {
    Row {
        label,
        cells,
        total: false,
    }
}

fn total_row(l: Locale, cells: Vec<Cell>) -> Row {
    Row {
        label: l.t("report-total"),
        cells,
        total: true,
    }
}

impl Figures {
    /// The figures as tables in `l` for `reader`: exact for the organisation's own admins,
    /// with every cell under five suppressed for anyone else.
    pub fn tables(&self, l: Locale, reader: Audience) -> Vec<Table> {
        let mut regions_total: Vec<String> = vec![l.t("report-col-step")];
        regions_total.extend(self.regions.iter().cloned());
        regions_total.push(l.t("report-total"));

        let funnel = Table {
            key: "funnel".into(),
            title: l.t("report-funnel"),
            columns: regions_total,
            rows: self
                .funnel
                .iter()
                .map(|(step, by_region)| {
                    let mut cells: Vec<Cell> = by_region.iter().map(|n| reader.count(*n)).collect();
                    cells.push(reader.count(sum(by_region.iter().copied())));
                    row(step.label(l), cells)
                })
                .collect(),
            chart_column: Some(self.regions.len()),
            total_column: true,
        };

        let documents = Table {
            key: "documents".into(),
            title: l.t("report-documents"),
            columns: vec![l.t("report-col-reason"), l.t("report-col-documents")],
            rows: self
                .documents_rejected
                .iter()
                .map(|(code, n)| {
                    let label = if code == REJECTED_BY_STAFF {
                        l.t("report-rejected-by-staff")
                    } else {
                        l.t(&format!("reason-short-{}", code.replace('_', "-")))
                    };
                    row(label, vec![reader.count(*n)])
                })
                .chain(std::iter::once(total_row(
                    l,
                    vec![reader.count(sum(self.documents_rejected.iter().map(|r| r.1)))],
                )))
                .collect(),
            chart_column: Some(0),
            total_column: false,
        };

        let cohorts = Table {
            key: "cohorts".into(),
            title: l.t("report-cohorts"),
            columns: vec![
                l.t("report-col-cohort"),
                l.t("report-col-enrolled"),
                l.t("report-col-completed"),
                l.t("report-col-completion"),
            ],
            rows: self
                .cohorts
                .iter()
                .map(|c| {
                    row(
                        format!("{} ({})", c.title, c.starts_on.format("%d.%m.%Y")),
                        vec![
                            reader.count(c.enrolled),
                            reader.count(c.completed),
                            reader.percent(c.completed, c.enrolled),
                        ],
                    )
                })
                .collect(),
            chart_column: Some(1),
            total_column: false,
        };

        let a = &self.activity;
        let pairs: u64 = sum(a.iter().map(|r| r.pairs));
        let groups: u64 = sum(a.iter().map(|r| r.groups));
        let active = Table {
            key: "active".into(),
            title: l.t("report-active"),
            columns: vec![l.t("report-col-what"), l.t("report-col-number")],
            rows: vec![
                row(
                    l.t("report-active-mentors"),
                    vec![reader.count(self.active_mentors)],
                ),
                row(l.t("report-active-pairs"), vec![reader.count(pairs)]),
                row(l.t("report-active-groups"), vec![reader.count(groups)]),
            ],
            chart_column: Some(0),
            total_column: false,
        };

        let region_rows = |f: &dyn Fn(&RegionActivity) -> Vec<Cell>| -> Vec<Row> {
            self.regions
                .iter()
                .zip(a.iter())
                .map(|(name, r)| row(name.clone(), f(r)))
                .collect()
        };
        let all = RegionActivity {
            meetings: sum(a.iter().map(|r| r.meetings)),
            group_sessions: sum(a.iter().map(|r| r.group_sessions)),
            pairs,
            pairs_on_track: sum(a.iter().map(|r| r.pairs_on_track)),
            groups,
            children_waiting: sum(a.iter().map(|r| r.children_waiting)),
            waiting_days: sum(a.iter().map(|r| r.waiting_days)),
        };
        let meeting_cells = |r: &RegionActivity| {
            vec![
                reader.count(r.meetings),
                reader.count(r.group_sessions),
                reader.count(r.pairs),
                reader.percent(r.pairs_on_track, r.pairs),
            ]
        };
        let mut meeting_rows = region_rows(&meeting_cells);
        meeting_rows.push(total_row(l, meeting_cells(&all)));
        let meetings = Table {
            key: "meetings".into(),
            title: l.t("report-meetings"),
            columns: vec![
                l.t("report-col-region"),
                l.t("report-col-meetings"),
                l.t("report-col-group-sessions"),
                l.t("report-col-pairs"),
                l.t("report-col-cadence"),
            ],
            rows: meeting_rows,
            chart_column: Some(3),
            total_column: false,
        };

        let waiting_cells = |r: &RegionActivity| {
            vec![
                reader.count(r.children_waiting),
                reader.average_days(r.waiting_days, r.children_waiting),
            ]
        };
        let mut waiting_rows = region_rows(&waiting_cells);
        waiting_rows.push(total_row(l, waiting_cells(&all)));
        let waiting = Table {
            key: "waiting".into(),
            title: l.t("report-waiting"),
            columns: vec![
                l.t("report-col-region"),
                l.t("report-col-children-waiting"),
                l.t("report-col-average-wait"),
            ],
            rows: waiting_rows,
            chart_column: Some(0),
            total_column: false,
        };

        let closures = Table {
            key: "closures".into(),
            title: l.t("report-closures"),
            columns: vec![l.t("report-col-reason"), l.t("report-col-pairs")],
            rows: self
                .closures
                .iter()
                .map(|(reason, n)| {
                    row(
                        l.t(&format!(
                            "close-reason-{}",
                            reason.as_str().replace('_', "-")
                        )),
                        vec![reader.count(*n)],
                    )
                })
                .chain(std::iter::once(total_row(
                    l,
                    vec![reader.count(sum(self.closures.iter().map(|r| r.1)))],
                )))
                .collect(),
            chart_column: Some(0),
            total_column: false,
        };

        let concerns = Table {
            key: "concerns".into(),
            title: l.t("report-concerns"),
            columns: vec![
                l.t("report-col-severity"),
                l.t("report-col-opened"),
                l.t("report-col-resolved"),
            ],
            rows: self
                .concerns
                .iter()
                .map(|(s, opened, resolved)| {
                    row(
                        l.t(&format!("severity-{}", s.as_str())),
                        vec![reader.count(*opened), reader.count(*resolved)],
                    )
                })
                .chain(std::iter::once(total_row(
                    l,
                    vec![
                        reader.count(sum(self.concerns.iter().map(|r| r.1))),
                        reader.count(sum(self.concerns.iter().map(|r| r.2))),
                    ],
                )))
                .collect(),
            chart_column: Some(0),
            total_column: false,
        };

        let mut tables = vec![
            funnel, documents, cohorts, active, meetings, waiting, closures, concerns,
        ];
        if reader == Audience::Shared {
            for t in &mut tables {
                protect_totals(t);
            }
        }
        tables
    }
}

/// A lead organisation's network report: each organisation's figures of the same period, the
/// lead's first. Only counts per organisation are presented, never a region, a cohort or a
/// person of a partner, and every cell under five is suppressed as in any report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkFigures {
    pub period: Period,
    pub organisations: Vec<(String, Figures)>,
}

impl NetworkFigures {
    pub fn tables(&self, l: Locale) -> Vec<Table> {
        let orgs = &self.organisations;
        let step = |f: &Figures, step: FunnelStep| -> u64 {
            f.funnel
                .iter()
                .filter(|(s, _)| *s == step)
                .map(|(_, v)| sum(v.iter().copied()))
                .sum()
        };
        let activity = |f: &Figures, pick: fn(&RegionActivity) -> u64| -> u64 {
            sum(f.activity.iter().map(pick))
        };
        type Measure<'a> = Box<dyn Fn(&Figures) -> u64 + 'a>;
        let measures: Vec<(&str, Measure)> = vec![
            (
                "report-funnel-submitted",
                Box::new(|f: &Figures| step(f, FunnelStep::Submitted)),
            ),
            (
                "report-funnel-selected",
                Box::new(|f: &Figures| step(f, FunnelStep::Selected)),
            ),
            (
                "network-row-trained",
                Box::new(|f: &Figures| sum(f.cohorts.iter().map(|c| c.completed))),
            ),
            (
                "report-active-mentors",
                Box::new(|f: &Figures| f.active_mentors),
            ),
            (
                "report-active-pairs",
                Box::new(|f: &Figures| activity(f, |r| r.pairs)),
            ),
            (
                "report-active-groups",
                Box::new(|f: &Figures| activity(f, |r| r.groups)),
            ),
            (
                "network-row-meetings",
                Box::new(|f: &Figures| activity(f, |r| r.meetings + r.group_sessions)),
            ),
            (
                "report-col-children-waiting",
                Box::new(|f: &Figures| activity(f, |r| r.children_waiting)),
            ),
            (
                "network-row-closures",
                Box::new(|f: &Figures| sum(f.closures.iter().map(|c| c.1))),
            ),
            (
                "network-row-concerns-opened",
                Box::new(|f: &Figures| sum(f.concerns.iter().map(|c| c.1))),
            ),
            (
                "network-row-concerns-resolved",
                Box::new(|f: &Figures| sum(f.concerns.iter().map(|c| c.2))),
            ),
        ];
        let mut columns = vec![l.t("report-col-what")];
        columns.extend(orgs.iter().map(|(name, _)| name.clone()));
        columns.push(l.t("report-total"));
        let mut overview = Table {
            key: "network".into(),
            title: l.t("report-network"),
            columns,
            rows: measures
                .iter()
                .map(|(key, measure)| {
                    let values: Vec<u64> = orgs.iter().map(|(_, f)| measure(f)).collect();
                    let mut cells: Vec<Cell> = values.iter().map(|n| Cell::count(*n)).collect();
                    cells.push(Cell::count(sum(values)));
                    row(l.t(key), cells)
                })
                .collect(),
            chart_column: Some(orgs.len()),
            total_column: true,
        };
        // The lead (first) knows its own column.
        protect_totals_from(&mut overview, Some(0));

        // Shares and averages per organisation: how well each keeps to its cadence, and how
        // long its children wait.
        let share_cells = |pairs: u64, on_track: u64, waiting: u64, days: u64| {
            vec![
                Cell::count(pairs),
                Cell::percent(on_track, pairs),
                Cell::count(waiting),
                Cell::average_days(days, waiting),
            ]
        };
        let mut all = (0, 0, 0, 0);
        let mut rows: Vec<Row> = orgs
            .iter()
            .map(|(name, f)| {
                let v = (
                    activity(f, |r| r.pairs),
                    activity(f, |r| r.pairs_on_track),
                    activity(f, |r| r.children_waiting),
                    activity(f, |r| r.waiting_days),
                );
                all = (all.0 + v.0, all.1 + v.1, all.2 + v.2, all.3 + v.3);
                row(name.clone(), share_cells(v.0, v.1, v.2, v.3))
            })
            .collect();
        rows.push(total_row(l, share_cells(all.0, all.1, all.2, all.3)));
        let mut cadence = Table {
            key: "network-cadence".into(),
            title: l.t("report-network-cadence"),
            columns: vec![
                l.t("report-col-organisation"),
                l.t("report-col-pairs"),
                l.t("report-col-cadence"),
                l.t("report-col-children-waiting"),
                l.t("report-col-average-wait"),
            ],
            rows,
            chart_column: Some(1),
            total_column: false,
        };
        // The lead (first row) knows its own row.
        protect_totals_from(&mut cadence, Some(0));
        // No share or average over a group that is not shown: with its own figures the lead
        // would get a hidden partner's out of the total's.
        let total_at = cadence.rows.len() - 1;
        for (base, derived) in [(0, 1), (2, 3)] {
            let hidden = cadence.rows[..total_at]
                .iter()
                .any(|r| r.cells.get(base) == Some(&Cell::Suppressed));
            if hidden {
                cadence.rows[total_at].cells[derived] = Cell::Suppressed;
            }
        }
        vec![overview, cadence]
    }
}

/// Secondary suppression: when the counts that add up to a shown total have exactly one
/// suppressed among them, it could be worked out from the total and the others, so the
/// smallest other count above zero is suppressed with it (or the total, when all the others
/// are zero). Down each column above a totals row, then along each row with a totals column.
pub fn protect_totals(table: &mut Table) {
    protect_totals_from(table, None);
}

/// [`protect_totals`] for a reader who knows one part of every sum whatever the table shows:
/// the lead organisation of a network report knows its own figures (`known`: its column of a
/// table of organisations side by side, or its row of a table of organisations one per row).
/// That part never protects a suppressed one, and when no part the reader does not know can
/// be hidden with it, the total goes.
pub fn protect_totals_from(table: &mut Table, known: Option<usize>) {
    let columns = table.rows.first().map_or(0, |r| r.cells.len());
    if let Some(total_at) = table.rows.iter().position(|r| r.total) {
        for c in 0..columns {
            // Shares and averages do not add up to their total: only counts are protected.
            if !matches!(table.rows[total_at].cells.get(c), Some(Cell::Count(_))) {
                continue;
            }
            let mut cells: Vec<&mut Cell> = table
                .rows
                .iter_mut()
                .filter(|r| !r.total)
                .filter_map(|r| r.cells.get_mut(c))
                .collect();
            if protect(&mut cells, known) {
                table.rows[total_at].cells[c] = Cell::Suppressed;
            }
        }
    }
    if table.total_column && columns > 1 {
        for r in &mut table.rows {
            if !matches!(r.cells.last(), Some(Cell::Count(_))) {
                continue;
            }
            let (parts, total) = r.cells.split_at_mut(columns - 1);
            let mut cells: Vec<&mut Cell> = parts.iter_mut().collect();
            if protect(&mut cells, known) {
                total[0] = Cell::Suppressed;
            }
        }
    }
}

/// Hides a second cell of `parts` when exactly one the reader does not know is suppressed;
/// `true` when none could be hidden and the total must go instead. `known` is the part the
/// reader knows anyway: suppressed or not, it hides nothing.
fn protect(parts: &mut [&mut Cell], known: Option<usize>) -> bool {
    let unknown = |i: usize| Some(i) != known;
    let hidden = parts
        .iter()
        .enumerate()
        .filter(|(i, c)| unknown(*i) && ***c == Cell::Suppressed)
        .count();
    if hidden != 1 {
        return false;
    }
    let smallest = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| unknown(*i))
        .filter_map(|(i, c)| match **c {
            Cell::Count(n) if n > 0 => Some((n, i)),
            _ => None,
        })
        .min();
    match smallest {
        Some((_, i)) => {
            *parts[i] = Cell::Suppressed;
            false
        }
        None => true,
    }
}

/// A region-less application's column heading.
pub fn no_region_label(l: Locale) -> String {
    l.t("report-no-region")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_are_the_last_full_month_and_quarter() {
        let p = Period::month_before(d(2026, 11, 1));
        assert_eq!((p.from, p.to), (d(2026, 10, 1), d(2026, 11, 1)));
        assert_eq!(p.label(), "01.10.2026–31.10.2026");
        assert_eq!(p.key(ReportKind::Monthly), "2026-10");
        // The reports form proposes it: its first and last day.
        let p = Period::month_before(d(2026, 11, 22));
        assert_eq!((p.from, p.last_day()), (d(2026, 10, 1), d(2026, 10, 31)));
        let p = Period::month_before(d(2026, 1, 20));
        assert_eq!((p.from, p.to), (d(2025, 12, 1), d(2026, 1, 1)));
        let q = Period::quarter_before(d(2026, 11, 22));
        assert_eq!((q.from, q.to), (d(2026, 7, 1), d(2026, 10, 1)));
        assert_eq!(q.key(ReportKind::Quarterly), "2026-Q3");
        let q = Period::quarter_before(d(2026, 2, 1));
        assert_eq!((q.from, q.to), (d(2025, 10, 1), d(2026, 1, 1)));
        assert_eq!(q.key(ReportKind::Quarterly), "2025-Q4");
    }

    #[test]
    fn a_custom_period_is_checked() {
        let today = d(2026, 11, 22);
        let p = Period::custom(d(2026, 11, 1), d(2026, 11, 22), today).unwrap();
        assert_eq!(p.to, d(2026, 11, 23));
        let err = |r: Result<Period, Error>| match r {
            Err(Error::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            err(Period::custom(d(2026, 11, 2), d(2026, 11, 1), today)),
            "error-report-period-order"
        );
        assert_eq!(
            err(Period::custom(d(2026, 11, 23), d(2026, 11, 30), today)),
            "error-report-period-future"
        );
        assert_eq!(
            err(Period::custom(d(2025, 1, 1), d(2026, 1, 2), today)),
            "error-report-period-long"
        );
        assert!(Period::custom(d(2025, 1, 1), d(2026, 1, 1), today).is_ok());
    }

    #[test]
    fn counts_under_five_are_suppressed_and_so_are_figures_of_fewer_than_five_people() {
        assert_eq!(Cell::count(0), Cell::Count(0));
        for n in 1..5 {
            assert_eq!(Cell::count(n), Cell::Suppressed, "{n}");
        }
        assert_eq!(Cell::count(5), Cell::Count(5));
        assert_eq!(Cell::percent(3, 4), Cell::Suppressed);
        assert_eq!(Cell::percent(2, 3).display(), "<5");
        assert_eq!(Cell::percent(4, 6), Cell::Percent(67));
        assert_eq!(Cell::percent(0, 0), Cell::Empty);
        assert_eq!(Cell::average_days(40, 4), Cell::Suppressed);
        assert_eq!(Cell::average_days(51, 5), Cell::Days(10));
    }

    fn table(cells: &[u64], total: u64) -> Table {
        let mut rows: Vec<Row> = cells
            .iter()
            .map(|n| row(n.to_string(), vec![Cell::count(*n)]))
            .collect();
        rows.push(Row {
            label: "total".into(),
            cells: vec![Cell::count(total)],
            total: true,
        });
        Table {
            key: "t".into(),
            title: "t".into(),
            columns: vec!["a".into(), "b".into()],
            rows,
            chart_column: Some(0),
            total_column: false,
        }
    }

    fn shown(t: &Table) -> Vec<String> {
        t.rows.iter().map(|r| r.cells[0].display()).collect()
    }

    #[test]
    fn a_lone_suppressed_count_cannot_be_worked_out_from_the_total() {
        // 3 alone would be 20 - 9 - 8: the smallest other count goes too.
        let mut t = table(&[9, 3, 8], 20);
        protect_totals(&mut t);
        assert_eq!(shown(&t), ["9", "<5", "<5", "20"]);
        // Two suppressed already protect each other.
        let mut t = table(&[2, 3, 8], 13);
        protect_totals(&mut t);
        assert_eq!(shown(&t), ["<5", "<5", "8", "13"]);
        // Nothing else to hide: the total goes.
        let mut t = table(&[0, 3, 0], 3);
        protect_totals(&mut t);
        assert_eq!(shown(&t), ["0", "<5", "0", "<5"]);
        // Nothing suppressed: nothing changes.
        let mut t = table(&[6, 7], 13);
        protect_totals(&mut t);
        assert_eq!(shown(&t), ["6", "7", "13"]);
    }

    /// A tenant's figures with every count `n`, in one region.
    fn uniform(n: u64, waited: u64) -> Figures {
        Figures {
            period: Period::month_before(d(2026, 11, 1)),
            regions: vec!["R".into()],
            funnel: FunnelStep::all()
                .into_iter()
                .map(|s| (s, vec![n]))
                .collect(),
            documents_rejected: vec![],
            cohorts: vec![CohortFigures {
                title: "School".into(),
                starts_on: d(2026, 10, 5),
                enrolled: n,
                completed: n,
            }],
            active_mentors: n,
            activity: vec![RegionActivity {
                meetings: n,
                group_sessions: 0,
                pairs: n,
                pairs_on_track: n,
                groups: n,
                children_waiting: n,
                waiting_days: waited,
            }],
            closures: vec![(CloseReason::TermCompleted, n)],
            concerns: vec![(Severity::High, n, n)],
        }
    }

    /// Trust, hole 4: the lead of a network subtracts its own figures (which it knows) from
    /// each total and the partners it can see. Whatever the partners' small counts, it
    /// recovers none of them, nor a hidden partner's average wait from the total's.
    #[test]
    fn the_lead_recovers_no_hidden_partner_figure_from_the_network_report() {
        for (lead, partners) in [
            (12, vec![3]),
            (3, vec![2]),
            (40, vec![1, 9]),
            (7, vec![4, 0]),
            (0, vec![2, 2, 30]),
        ] {
            let mut organisations = vec![("Lead".to_string(), uniform(lead, lead * 10))];
            for (i, p) in partners.iter().enumerate() {
                organisations.push((format!("Partner {i}"), uniform(*p, p * 37)));
            }
            let network = NetworkFigures {
                period: Period::month_before(d(2026, 11, 1)),
                organisations,
            };
            let tables = network.tables(Locale::En);
            // Overview: measures down, organisations across, the total last.
            let overview = &tables[0];
            for r in &overview.rows {
                let total = r.cells.last().unwrap();
                let hidden: Vec<usize> = (1..=partners.len())
                    .filter(|i| r.cells[*i] == Cell::Suppressed)
                    .collect();
                if let (Cell::Count(_), [only]) = (total, hidden.as_slice()) {
                    panic!(
                        "{lead}/{partners:?} {}: the total with the lead's own figure gives partner {only}: {:?}",
                        r.label, r.cells
                    );
                }
                for i in 1..=partners.len() {
                    if let Cell::Count(n) = r.cells[i] {
                        assert!(n == 0 || n >= SMALL_CELL, "{}: {n}", r.label);
                    }
                }
            }
            // Cadence: organisations down, the total row last; no share or average of the
            // total when a partner's group is hidden, and no total count that gives it away.
            let cadence = &tables[1];
            let total = cadence.rows.last().unwrap();
            let partner_rows = &cadence.rows[1..cadence.rows.len() - 1];
            for (base, derived) in [(0usize, 1usize), (2, 3)] {
                let hidden = partner_rows
                    .iter()
                    .filter(|r| r.cells[base] == Cell::Suppressed)
                    .count();
                if hidden > 0 {
                    assert!(
                        matches!(total.cells[derived], Cell::Suppressed | Cell::Empty),
                        "{lead}/{partners:?}: {:?}",
                        total.cells
                    );
                }
                if hidden == 1 {
                    assert_eq!(total.cells[base], Cell::Suppressed, "{lead}/{partners:?}");
                }
            }
        }
    }

    #[test]
    fn network_reports_cover_whole_calendar_units_only() {
        let p = |from: NaiveDate, to: NaiveDate| Period { from, to };
        assert!(p(d(2026, 10, 1), d(2026, 11, 1)).is_whole_calendar_unit());
        assert!(p(d(2026, 7, 1), d(2026, 10, 1)).is_whole_calendar_unit());
        assert!(p(d(2025, 1, 1), d(2026, 1, 1)).is_whole_calendar_unit());
        // The differencing pair: 1–31 October is fine, 2–31 October is not.
        assert!(!p(d(2026, 10, 2), d(2026, 11, 1)).is_whole_calendar_unit());
        assert!(!p(d(2026, 10, 1), d(2026, 10, 31)).is_whole_calendar_unit());
        // Three months that are not a quarter, a year that is not a calendar year.
        assert!(!p(d(2026, 8, 1), d(2026, 11, 1)).is_whole_calendar_unit());
        assert!(!p(d(2025, 3, 1), d(2026, 3, 1)).is_whole_calendar_unit());
    }

    fn small_ngo() -> Figures {
        Figures {
            period: Period::month_before(d(2026, 11, 1)),
            regions: vec!["Almaty".into(), "Karaganda".into()],
            funnel: FunnelStep::all()
                .into_iter()
                .map(|s| (s, vec![7, 2]))
                .collect(),
            documents_rejected: vec![("pdf_encrypted".into(), 1), (REJECTED_BY_STAFF.into(), 6)],
            cohorts: vec![CohortFigures {
                title: "School".into(),
                starts_on: d(2026, 10, 5),
                enrolled: 12,
                completed: 9,
            }],
            active_mentors: 3,
            activity: vec![
                RegionActivity {
                    meetings: 40,
                    pairs: 8,
                    pairs_on_track: 6,
                    children_waiting: 5,
                    waiting_days: 100,
                    ..Default::default()
                },
                RegionActivity {
                    meetings: 4,
                    pairs: 2,
                    pairs_on_track: 2,
                    children_waiting: 1,
                    waiting_days: 30,
                    ..Default::default()
                },
            ],
            closures: CloseReason::ALL.iter().map(|r| (*r, 1)).collect(),
            concerns: vec![(Severity::High, 2, 0)],
        }
    }

    #[test]
    fn every_presented_cell_under_five_is_suppressed() {
        let f = small_ngo();
        let tables = f.tables(Locale::En, Audience::Shared);
        assert_eq!(tables.len(), 8);
        for t in &tables {
            for r in &t.rows {
                for c in &r.cells {
                    if let Cell::Count(n) = c {
                        assert!(*n == 0 || *n >= SMALL_CELL, "{} {}: {n}", t.key, r.label);
                    }
                }
            }
        }
        let meetings = tables.iter().find(|t| t.key == "meetings").unwrap();
        let almaty = &meetings.rows[0].cells;
        // Karaganda's 4 meetings are hidden, and so Almaty's 40 (else 44 - 40 gives them).
        assert_eq!(meetings.rows[1].cells[0], Cell::Suppressed);
        assert_eq!(almaty[0], Cell::Suppressed);
        assert_eq!(almaty[3], Cell::Percent(75));
        // Karaganda's 2 pairs: count and share hidden.
        assert_eq!(meetings.rows[1].cells[2], Cell::Suppressed);
        assert_eq!(meetings.rows[1].cells[3], Cell::Suppressed);
        let total = &meetings.rows[2].cells;
        assert_eq!(
            (total[0].clone(), total[3].clone()),
            (Cell::Count(44), Cell::Percent(80))
        );
        let waiting = tables.iter().find(|t| t.key == "waiting").unwrap();
        assert_eq!(waiting.rows[0].cells[1], Cell::Days(20));
        assert_eq!(waiting.rows[2].cells[1], Cell::Days(22));
        // The funnel's Karaganda column is 2 at every step: hidden with Almaty's 7, total shown.
        let funnel = tables.iter().find(|t| t.key == "funnel").unwrap();
        let shown: Vec<String> = funnel.rows[0].cells.iter().map(Cell::display).collect();
        assert_eq!(shown, ["<5", "<5", "9"]);
    }

    /// The organisation's own admins read their own month as it is (issue 19, principle 8).
    #[test]
    fn the_organisations_own_report_shows_exact_counts() {
        let tables = small_ngo().tables(Locale::En, Audience::Own);
        assert_eq!(tables.len(), 8);
        assert!(
            tables
                .iter()
                .flat_map(|t| &t.rows)
                .flat_map(|r| &r.cells)
                .all(|c| *c != Cell::Suppressed)
        );
        let meetings = tables.iter().find(|t| t.key == "meetings").unwrap();
        assert_eq!(meetings.rows[1].cells[0], Cell::Count(4));
        assert_eq!(meetings.rows[1].cells[3], Cell::Percent(100));
        let waiting = tables.iter().find(|t| t.key == "waiting").unwrap();
        assert_eq!(waiting.rows[1].cells[1], Cell::Days(30));
        let funnel = tables.iter().find(|t| t.key == "funnel").unwrap();
        let shown: Vec<String> = funnel.rows[0].cells.iter().map(Cell::display).collect();
        assert_eq!(shown, ["7", "2", "9"]);
        let active = tables.iter().find(|t| t.key == "active").unwrap();
        assert_eq!(active.rows[0].cells[0], Cell::Count(3));
    }

    #[test]
    fn reports_that_leave_the_organisation_are_shared() {
        assert_eq!(Audience::of(ReportKind::Monthly, false), Audience::Own);
        assert_eq!(Audience::of(ReportKind::Custom, false), Audience::Own);
        assert_eq!(Audience::of(ReportKind::Custom, true), Audience::Shared);
        assert_eq!(Audience::of(ReportKind::Network, false), Audience::Shared);
        assert_eq!(Audience::of(ReportKind::Funder, false), Audience::Shared);
    }
}
