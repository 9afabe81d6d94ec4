//! Churn per value grade and per size over a period, compared with the
//! period before it.
//!
//! The churn rate of a group is the share of the customers active at the
//! start of the period (by their grade and size then) who churned during it.
//! A rise among A/B grades or large/medium sizes of more than a configured
//! number of percentage points is a major warning and a possible crisis
//! signal.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::grading::ValueGrade;
use super::profile::Size;

/// When the churn report warns (`[customers.churn]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ChurnPolicy {
    /// A watched group whose rate rose by more than this many percentage
    /// points over the period before is flagged.
    pub rise_threshold_points: f64,
    /// Groups with fewer active customers than this are never flagged: a
    /// rate over a handful of customers is noise.
    pub min_active: i64,
}

impl Default for ChurnPolicy {
    fn default() -> Self {
        Self {
            rise_threshold_points: 2.0,
            min_active: 10,
        }
    }
}

/// Active and churned counts of one (grade, size) cell in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Active at the period's start.
    pub active: i64,
    /// Of those, churned during the period.
    pub churned: i64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.active += other.active;
        self.churned += other.churned;
    }

    /// The churn rate in percent; 0 when none were active.
    pub fn rate_percent(&self) -> f64 {
        if self.active == 0 {
            0.0
        } else {
            100.0 * self.churned as f64 / self.active as f64
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row<G> {
    /// The group.
    pub group: G,
    /// This period.
    pub current: Counts,
    /// The period before.
    pub previous: Counts,
    /// Watched and rose above the threshold.
    pub flagged: bool,
}

/// The report.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnReport {
    /// A to D.
    pub by_grade: Vec<Row<ValueGrade>>,
    /// Large, medium, small, unknown (`None`).
    pub by_size: Vec<Row<Option<Size>>>,
    /// Any watched row flagged.
    pub warning: bool,
}

/// A (grade, size) cell of the report.
pub type Cell = (ValueGrade, Option<Size>);

/// Counts per cell.
pub type Cells = BTreeMap<Cell, Counts>;

impl ChurnPolicy {
    fn flag(&self, watched: bool, current: Counts, previous: Counts) -> bool {
        watched
            && current.active >= self.min_active
            && current.rate_percent() - previous.rate_percent() > self.rise_threshold_points
    }

    /// Builds the report from the cells of this period and the one before.
    pub fn report(&self, current: &Cells, previous: &Cells) -> ChurnReport {
        let sum = |cells: &Cells, keep: &dyn Fn(&Cell) -> bool| {
            let mut total = Counts::default();
            for (_, counts) in cells.iter().filter(|(k, _)| keep(k)) {
                total.add(*counts);
            }
            total
        };
        let by_grade: Vec<_> = ValueGrade::ALL
            .into_iter()
            .map(|grade| {
                let current = sum(current, &|k| k.0 == grade);
                let previous = sum(previous, &|k| k.0 == grade);
                Row {
                    group: grade,
                    current,
                    previous,
                    flagged: self.flag(grade.is_watched(), current, previous),
                }
            })
            .collect();
        let by_size: Vec<_> = [
            Some(Size::Large),
            Some(Size::Medium),
            Some(Size::Small),
            None,
        ]
        .into_iter()
        .map(|size| {
            let current = sum(current, &|k| k.1 == size);
            let previous = sum(previous, &|k| k.1 == size);
            let watched = matches!(size, Some(Size::Large | Size::Medium));
            Row {
                group: size,
                current,
                previous,
                flagged: self.flag(watched, current, previous),
            }
        })
        .collect();
        let warning = by_grade.iter().any(|r| r.flagged) || by_size.iter().any(|r| r.flagged);
        ChurnReport {
            by_grade,
            by_size,
            warning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(entries: &[(Cell, i64, i64)]) -> Cells {
        entries
            .iter()
            .map(|(k, active, churned)| {
                (
                    *k,
                    Counts {
                        active: *active,
                        churned: *churned,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn rising_churn_among_a_customers_is_a_warning() {
        let policy = ChurnPolicy::default();
        let now = cells(&[((ValueGrade::A, Some(Size::Small)), 100, 10)]);
        let before = cells(&[((ValueGrade::A, Some(Size::Small)), 100, 2)]);
        let report = policy.report(&now, &before);
        assert!(report.by_grade[0].flagged);
        assert!((report.by_grade[0].current.rate_percent() - 10.0).abs() < 1e-9);
        assert!(
            !report.by_size[2].flagged,
            "small customers are not watched"
        );
        assert!(report.warning);
    }

    #[test]
    fn rising_churn_among_d_customers_or_tiny_groups_is_not_a_warning() {
        let policy = ChurnPolicy::default();
        let now = cells(&[
            ((ValueGrade::D, Some(Size::Small)), 100, 50),
            ((ValueGrade::B, None), 3, 3),
        ]);
        let report = policy.report(&now, &Cells::new());
        assert!(!report.warning);
    }

    #[test]
    fn rows_sum_cells_across_the_other_dimension() {
        let policy = ChurnPolicy::default();
        let now = cells(&[
            ((ValueGrade::A, Some(Size::Large)), 10, 1),
            ((ValueGrade::C, Some(Size::Large)), 30, 3),
        ]);
        let report = policy.report(&now, &Cells::new());
        assert_eq!(
            report.by_size[0].current,
            Counts {
                active: 40,
                churned: 4
            }
        );
        assert_eq!(
            report.by_grade[2].current,
            Counts {
                active: 30,
                churned: 3
            }
        );
        assert!(report.by_size[0].flagged, "large churn rose from 0% to 10%");
    }
}
