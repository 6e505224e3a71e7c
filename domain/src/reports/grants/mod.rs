//! Funders' grants: a grant's period, amount and targets, the programmes and regions it pays
//! for, and its progress against each target (the funder report).
//!
//! A target is one of a fixed set of measured metrics (`GrantMetric`), so its progress is
//! counted from what the programme records, never typed in. The funder's own wording is kept
//! beside it (`note`). Progress is presented like every other report: counts of people under
//! five are suppressed; counts of cities are not (a city is named on the grant itself and
//! identifies no one).

#[cfg(feature = "server")]
pub mod service;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Cell, Row, Table};
use crate::Error;
use crate::i18n::Locale;

/// At most this many targets per grant.
pub const MAX_TARGETS: usize = 20;
/// The longest grant period accepted (ten years).
pub const MAX_GRANT_DAYS: i64 = 3653;
/// The largest amount accepted, in whole units.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// The largest target accepted.
pub const MAX_TARGET: i64 = 10_000_000;
const MAX_NAME: usize = 200;
const MAX_NOTE: usize = 300;

/// What a target counts, within the grant's period, programmes and regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantMetric {
    /// Applications submitted.
    CandidatesRecruited,
    /// People who completed a School of Mentors that started in the period.
    CandidatesTrained,
    /// Applications submitted in the period that ended in selection.
    MentorsSelected,
    /// Mentor–child pairs that began.
    PairsStarted,
    /// Children with a mentor at some time in the period.
    ChildrenMentored,
    /// Meeting protocols and group sessions held.
    MeetingsLogged,
    /// Youth groups running (started by the period's end and active).
    GroupsActive,
    /// Cities (regions) with an active coordinator now.
    CitiesWithCoordinators,
    /// Cities (regions) whose first pair or group began in the period.
    CitiesLaunched,
}

impl GrantMetric {
    pub const ALL: [GrantMetric; 9] = [
        GrantMetric::CandidatesRecruited,
        GrantMetric::CandidatesTrained,
        GrantMetric::MentorsSelected,
        GrantMetric::PairsStarted,
        GrantMetric::ChildrenMentored,
        GrantMetric::MeetingsLogged,
        GrantMetric::GroupsActive,
        GrantMetric::CitiesWithCoordinators,
        GrantMetric::CitiesLaunched,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            GrantMetric::CandidatesRecruited => "candidates_recruited",
            GrantMetric::CandidatesTrained => "candidates_trained",
            GrantMetric::MentorsSelected => "mentors_selected",
            GrantMetric::PairsStarted => "pairs_started",
            GrantMetric::ChildrenMentored => "children_mentored",
            GrantMetric::MeetingsLogged => "meetings_logged",
            GrantMetric::GroupsActive => "groups_active",
            GrantMetric::CitiesWithCoordinators => "cities_with_coordinators",
            GrantMetric::CitiesLaunched => "cities_launched",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
    pub fn label_key(self) -> String {
        format!("grant-metric-{}", self.as_str().replace('_', "-"))
    }
    /// Whether it counts people (or their meetings), and so is suppressed under five.
    pub fn counts_people(self) -> bool {
        !matches!(
            self,
            GrantMetric::CitiesWithCoordinators | GrantMetric::CitiesLaunched
        )
    }
}

/// One target as the funder set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    pub metric: GrantMetric,
    /// The number to reach by the grant's end (1 to 10,000,000).
    pub target: i64,
    /// The funder's wording, e.g. "600 candidates recruited and trained".
    #[serde(default)]
    pub note: String,
}

/// A new grant (tenant admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    pub funder: String,
    pub title: String,
    /// The grant's first and last day.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// In whole units of `currency`.
    pub amount: i64,
    /// ISO 4217 code, e.g. `KZT`.
    pub currency: String,
    /// The programmes it pays for; none means all of the tenant's.
    #[serde(default)]
    pub programmes: Vec<Uuid>,
    /// The regions it pays for; none means all of the tenant's.
    #[serde(default)]
    pub regions: Vec<Uuid>,
    pub targets: Vec<TargetInput>,
}

impl GrantInput {
    /// The input checked and tidied (names trimmed, currency upper-cased, ids without
    /// repeats), or the first field that is wrong. Whether the programmes and regions are the
    /// tenant's is the service's check.
    pub fn validated(&self) -> Result<GrantInput, Error> {
        let text = |field: &str, v: &str, code: &str| {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > MAX_NAME || v.chars().any(char::is_control) {
                Err(Error::invalid(field, code))
            } else {
                Ok(v.to_string())
            }
        };
        let funder = text("funder", &self.funder, "error-grant-funder")?;
        let title = text("title", &self.title, "error-grant-title")?;
        if self.ends_on < self.starts_on {
            return Err(Error::invalid("ends_on", "error-grant-period-order"));
        }
        if (self.ends_on - self.starts_on).num_days() + 1 > MAX_GRANT_DAYS {
            return Err(Error::invalid("ends_on", "error-grant-period-long"));
        }
        if !(0..=MAX_AMOUNT).contains(&self.amount) {
            return Err(Error::invalid("amount", "error-grant-amount"));
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::invalid("currency", "error-grant-currency"));
        }
        if self.targets.is_empty() {
            return Err(Error::invalid("targets", "error-grant-targets-empty"));
        }
        if self.targets.len() > MAX_TARGETS {
            return Err(Error::invalid("targets", "error-grant-targets-many"));
        }
        let mut targets = Vec::with_capacity(self.targets.len());
        for (i, t) in self.targets.iter().enumerate() {
            if !(1..=MAX_TARGET).contains(&t.target) {
                return Err(Error::invalid(
                    &format!("targets[{i}].target"),
                    "error-grant-target-value",
                ));
            }
            if targets.iter().any(|o: &TargetInput| o.metric == t.metric) {
                return Err(Error::invalid(
                    &format!("targets[{i}].metric"),
                    "error-grant-target-twice",
                ));
            }
            let note = t.note.trim();
            if note.chars().count() > MAX_NOTE || note.chars().any(char::is_control) {
                return Err(Error::invalid(
                    &format!("targets[{i}].note"),
                    "error-grant-target-note",
                ));
            }
            targets.push(TargetInput {
                metric: t.metric,
                target: t.target,
                note: note.to_string(),
            });
        }
        let unique = |ids: &[Uuid]| {
            let mut v = ids.to_vec();
            v.sort();
            v.dedup();
            v
        };
        Ok(GrantInput {
            funder,
            title,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            amount: self.amount,
            currency,
            programmes: unique(&self.programmes),
            regions: unique(&self.regions),
            targets,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TargetView {
    pub metric: GrantMetric,
    pub target: u64,
    pub note: String,
}

/// A grant as shown (tenant admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GrantView {
    pub id: Uuid,
    pub funder: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub amount: i64,
    pub currency: String,
    /// The programmes and regions it pays for, by name (empty: all of the tenant's).
    pub programmes: Vec<Named>,
    pub regions: Vec<Named>,
    pub targets: Vec<TargetView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

/// One target's progress. A count of one to four people is not given (`achieved` is `None`,
/// `suppressed` is true, and the share is withheld with it, since the target would reveal it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TargetProgress {
    pub metric: GrantMetric,
    pub note: String,
    pub target: u64,
    pub achieved: Option<u64>,
    pub suppressed: bool,
    /// `achieved` as a share of `target`, in whole per cent (may pass 100).
    pub percent: Option<u32>,
    /// What a steady pace would have reached by `as_of`: the target times the share of the
    /// grant's days gone.
    pub expected_by_now: u64,
}

/// A grant's progress on a day (the funder report's figures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct GrantProgress {
    pub grant: GrantView,
    /// Counted up to and including this day (today, or the grant's last day if it has ended).
    pub as_of: NaiveDate,
    /// The share of the grant's days gone by `as_of`, in whole per cent.
    pub elapsed_percent: u32,
    pub targets: Vec<TargetProgress>,
}

/// The share of the grant's days gone by `as_of` (inclusive), 0–100.
pub fn elapsed_percent(starts_on: NaiveDate, ends_on: NaiveDate, as_of: NaiveDate) -> u32 {
    let total = (ends_on - starts_on).num_days() + 1;
    let gone = ((as_of - starts_on).num_days() + 1).clamp(0, total);
    if total <= 0 {
        return 100;
    }
    ((gone * 100 + total / 2) / total) as u32
}

/// A target's progress from the exact count: suppressed under five for people, the share and
/// the steady-pace expectation computed.
pub fn target_progress(t: &TargetView, achieved: u64, elapsed: u32) -> TargetProgress {
    let suppressed = t.metric.counts_people() && matches!(Cell::count(achieved), Cell::Suppressed);
    let target = t.target.max(1);
    TargetProgress {
        metric: t.metric,
        note: t.note.clone(),
        target: t.target,
        achieved: (!suppressed).then_some(achieved),
        suppressed,
        percent: (!suppressed).then(|| ((achieved * 100 + target / 2) / target) as u32),
        expected_by_now: (t.target * u64::from(elapsed) + 50) / 100,
    }
}

impl TargetProgress {
    pub fn achieved_cell(&self) -> Cell {
        match self.achieved {
            Some(n) => Cell::Count(n),
            None => Cell::Suppressed,
        }
    }
    pub fn percent_cell(&self) -> Cell {
        match self.percent {
            Some(p) => Cell::Percent(p),
            None => Cell::Suppressed,
        }
    }
    /// The row's label: the funder's wording where there is one, else the metric's name.
    pub fn label(&self, l: Locale) -> String {
        let metric = l.t(&self.metric.label_key());
        if self.note.is_empty() {
            metric
        } else {
            format!("{} ({metric})", self.note)
        }
    }
}

impl GrantProgress {
    /// The funder report's tables in `l`: the targets and their progress (charted by share of
    /// target), then the grant itself.
    pub fn tables(&self, l: Locale) -> Vec<Table> {
        let g = &self.grant;
        let targets = Table {
            key: "targets".into(),
            title: l.t("grant-targets"),
            columns: vec![
                l.t("grant-col-target"),
                l.t("grant-col-goal"),
                l.t("grant-col-achieved"),
                l.t("grant-col-percent"),
                l.t("grant-col-expected"),
            ],
            rows: self
                .targets
                .iter()
                .map(|t| Row {
                    label: t.label(l),
                    cells: vec![
                        Cell::Count(t.target),
                        t.achieved_cell(),
                        t.percent_cell(),
                        Cell::Count(t.expected_by_now),
                    ],
                    total: false,
                })
                .collect(),
            chart_column: Some(2),
            total_column: false,
        };
        let names = |v: &[Named]| {
            if v.is_empty() {
                l.t("grant-all")
            } else {
                v.iter()
                    .map(|n| n.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let text_row = |key: &str, value: String| Row {
            label: l.t(key),
            cells: vec![Cell::Text(value)],
            total: false,
        };
        let about = Table {
            key: "grant".into(),
            title: l.t("grant-about"),
            columns: vec![l.t("grant-col-item"), l.t("grant-col-value")],
            rows: vec![
                text_row("grant-funder", g.funder.clone()),
                text_row("grant-title", g.title.clone()),
                text_row(
                    "grant-period",
                    format!(
                        "{}–{}",
                        g.starts_on.format("%d.%m.%Y"),
                        g.ends_on.format("%d.%m.%Y")
                    ),
                ),
                text_row("grant-amount", format_amount(g.amount, &g.currency)),
                text_row("grant-programmes", names(&g.programmes)),
                text_row("grant-regions", names(&g.regions)),
                text_row(
                    "grant-elapsed",
                    format!(
                        "{}% ({})",
                        self.elapsed_percent,
                        self.as_of.format("%d.%m.%Y")
                    ),
                ),
            ],
            chart_column: None,
            total_column: false,
        };
        vec![targets, about]
    }
}

/// An amount as people here write it: `25 000 000 KZT` (thin groups of three).
pub fn format_amount(amount: i64, currency: &str) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    if amount < 0 {
        out.insert(0, '-');
    }
    format!("{out} {currency}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn input() -> GrantInput {
        GrantInput {
            funder: "  Фонд Болашақ ".into(),
            title: "Наставники 2026–2027".into(),
            starts_on: day(2026, 1, 1),
            ends_on: day(2027, 12, 31),
            amount: 25_000_000,
            currency: "kzt".into(),
            programmes: vec![],
            regions: vec![],
            targets: vec![TargetInput {
                metric: GrantMetric::CandidatesTrained,
                target: 600,
                note: "600 candidates recruited and trained".into(),
            }],
        }
    }

    #[test]
    fn a_good_grant_is_tidied() {
        let g = input().validated().unwrap();
        assert_eq!(g.funder, "Фонд Болашақ");
        assert_eq!(g.currency, "KZT");
    }

    #[test]
    fn each_bad_field_is_named() {
        type Change = Box<dyn Fn(&mut GrantInput)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|g| g.funder = " ".into()),
                "funder",
                "error-grant-funder",
            ),
            (
                Box::new(|g| g.title = "a\u{7}b".into()),
                "title",
                "error-grant-title",
            ),
            (
                Box::new(|g| g.ends_on = day(2025, 12, 31)),
                "ends_on",
                "error-grant-period-order",
            ),
            (
                Box::new(|g| g.ends_on = day(2037, 1, 1)),
                "ends_on",
                "error-grant-period-long",
            ),
            (Box::new(|g| g.amount = -1), "amount", "error-grant-amount"),
            (
                Box::new(|g| g.currency = "тг".into()),
                "currency",
                "error-grant-currency",
            ),
            (
                Box::new(|g| g.targets.clear()),
                "targets",
                "error-grant-targets-empty",
            ),
            (
                Box::new(|g| g.targets[0].target = 0),
                "targets[0].target",
                "error-grant-target-value",
            ),
            (
                Box::new(|g| {
                    let again = g.targets[0].clone();
                    g.targets.push(again)
                }),
                "targets[1].metric",
                "error-grant-target-twice",
            ),
            (
                Box::new(|g| g.targets[0].note = "x".repeat(301)),
                "targets[0].note",
                "error-grant-target-note",
            ),
        ];
        for (change, field, code) in cases {
            let mut g = input();
            change(&mut g);
            assert_eq!(
                g.validated(),
                Err(Error::invalid(field, code)),
                "{field} {code}"
            );
        }
    }

    #[test]
    fn progress_suppresses_people_under_five_but_not_cities() {
        let people = TargetView {
            metric: GrantMetric::CandidatesTrained,
            target: 600,
            note: String::new(),
        };
        let p = target_progress(&people, 3, 50);
        assert!(p.suppressed);
        assert_eq!((p.achieved, p.percent), (None, None));
        assert_eq!(p.expected_by_now, 300);
        let p = target_progress(&people, 150, 50);
        assert_eq!((p.achieved, p.percent), (Some(150), Some(25)));
        let cities = TargetView {
            metric: GrantMetric::CitiesWithCoordinators,
            target: 3,
            note: String::new(),
        };
        let p = target_progress(&cities, 2, 50);
        assert_eq!(
            (p.achieved, p.percent, p.suppressed),
            (Some(2), Some(67), false)
        );
        assert_eq!(p.expected_by_now, 2);
        // Zero people identifies nobody and is shown.
        assert_eq!(target_progress(&people, 0, 0).achieved, Some(0));
    }

    #[test]
    fn elapsed_share_of_the_grant() {
        let (a, b) = (day(2026, 1, 1), day(2026, 1, 10));
        assert_eq!(elapsed_percent(a, b, day(2025, 12, 1)), 0);
        assert_eq!(elapsed_percent(a, b, day(2026, 1, 5)), 50);
        assert_eq!(elapsed_percent(a, b, day(2026, 3, 1)), 100);
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(format_amount(25_000_000, "KZT"), "25\u{a0}000\u{a0}000 KZT");
        assert_eq!(format_amount(500, "USD"), "500 USD");
    }
}
