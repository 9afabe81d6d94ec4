//! A complaint's priority, from its severity and the customer's value grade,
//! by a configurable table (`[complaints.priority]`).
//!
//! Assessment (DOMAIN.md: severity, safety, complexity, impact → priority)
//! is a policy, not a formula in code: each severity has a row giving the
//! priority per value grade, and a complaint that touches safety is raised to
//! at least a configured priority whatever the table says. Configuration may
//! override single cells; every cell it leaves out keeps its default for that
//! severity, so `[complaints.priority.high] c = "p3"` changes one cell only.
//! [`PriorityPolicy::validate`] refuses a table in which a higher severity
//! would get a less urgent priority than a lower one for the same grade.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How bad the failure is for the customer, as assessed by the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// An annoyance.
    Low,
    /// A real loss or inconvenience.
    Medium,
    /// A serious loss.
    High,
    /// Harm that cannot wait.
    Critical,
}

impl Severity {
    /// Every severity, least severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The severity's code: `low`, `medium`, `high`, `critical`.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity with `code`, if any.
    pub fn from_code(code: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The customer's value grade as the customers service reports it;
/// `Ungraded` when it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grade {
    /// Highest value.
    A,
    /// High value.
    B,
    /// Moderate value.
    C,
    /// Low value.
    D,
    /// No grade known (new customer, or the customers service had none).
    Ungraded,
}

impl Grade {
    /// Every grade, best first, then `Ungraded`.
    pub const ALL: [Grade; 5] = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::Ungraded];

    /// The grade's code: `a`, `b`, `c`, `d`, `ungraded`.
    pub fn code(self) -> &'static str {
        match self {
            Grade::A => "a",
            Grade::B => "b",
            Grade::C => "c",
            Grade::D => "d",
            Grade::Ungraded => "ungraded",
        }
    }

    /// The grade with `code`, if any.
    pub fn from_code(code: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.code() == code)
    }
}

/// How urgently a complaint is handled; P1 most urgent, so `P1 < P4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Most urgent.
    P1,
    /// Urgent.
    P2,
    /// Normal.
    P3,
    /// Least urgent.
    P4,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    /// The priority's code in storage, events and configuration: `p1` … `p4`.
    pub fn code(self) -> &'static str {
        match self {
            Priority::P1 => "p1",
            Priority::P2 => "p2",
            Priority::P3 => "p3",
            Priority::P4 => "p4",
        }
    }

    /// The priority with `code` (`p1` … `p4`), if any.
    pub fn from_code(code: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The more urgent of `self` and `other`.
    pub fn at_least(self, other: Priority) -> Priority {
        self.min(other)
    }
}

/// Configuration writes `"p1"` or `"P1"`.
impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Priority::ALL
            .into_iter()
            .find(|p| p.code().eq_ignore_ascii_case(&text))
            .ok_or_else(|| {
                serde::de::Error::invalid_value(
                    serde::de::Unexpected::Str(&text),
                    &"a priority: p1, p2, p3 or p4",
                )
            })
    }
}

/// Written as its code, `p1` … `p4`.
impl Serialize for Priority {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// The priority per value grade for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GradeRow {
    /// Customers of grade A.
    pub a: Priority,
    /// Customers of grade B.
    pub b: Priority,
    /// Customers of grade C.
    pub c: Priority,
    /// Customers of grade D.
    pub d: Priority,
    /// Customers without a grade.
    pub ungraded: Priority,
}

impl GradeRow {
    /// A row giving `priority` to every grade.
    pub const fn all(priority: Priority) -> GradeRow {
        GradeRow {
            a: priority,
            b: priority,
            c: priority,
            d: priority,
            ungraded: priority,
        }
    }

    /// The priority for `grade`.
    pub fn get(&self, grade: Grade) -> Priority {
        match grade {
            Grade::A => self.a,
            Grade::B => self.b,
            Grade::C => self.c,
            Grade::D => self.d,
            Grade::Ungraded => self.ungraded,
        }
    }
}

/// How priority is assessed (`[complaints.priority]`). In TOML:
///
/// ```toml
/// [complaints.priority]
/// safety = "p1"
/// [complaints.priority.high]
/// a = "p1"
/// b = "p2"
/// ```
///
/// Every key is optional: a missing row, or a missing cell in a row, keeps
/// its default ([`PriorityPolicy::default`]). Unknown keys are refused, so a
/// misspelt cell is an error rather than silently the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PolicyOverrides")]
pub struct PriorityPolicy {
    /// Priority per grade for low severity.
    pub low: GradeRow,
    /// Priority per grade for medium severity.
    pub medium: GradeRow,
    /// Priority per grade for high severity.
    pub high: GradeRow,
    /// Priority per grade for critical severity.
    pub critical: GradeRow,
    /// A complaint with the safety flag gets at least this priority.
    pub safety: Priority,
}

impl Default for PriorityPolicy {
    fn default() -> Self {
        use Priority::{P1, P2, P3, P4};
        Self {
            low: GradeRow {
                a: P3,
                b: P3,
                c: P4,
                d: P4,
                ungraded: P4,
            },
            medium: GradeRow {
                a: P2,
                b: P2,
                c: P3,
                d: P3,
                ungraded: P3,
            },
            high: GradeRow {
                a: P1,
                b: P2,
                c: P2,
                d: P2,
                ungraded: P2,
            },
            critical: GradeRow::all(P1),
            safety: P1,
        }
    }
}

impl PriorityPolicy {
    /// The row for `severity`.
    pub fn row(&self, severity: Severity) -> &GradeRow {
        match severity {
            Severity::Low => &self.low,
            Severity::Medium => &self.medium,
            Severity::High => &self.high,
            Severity::Critical => &self.critical,
        }
    }

    /// The priority of a complaint of `severity` from a customer of `grade`;
    /// with `safety`, at least the safety priority.
    pub fn priority(&self, severity: Severity, grade: Grade, safety: bool) -> Priority {
        let from_table = self.row(severity).get(grade);
        if safety {
            from_table.at_least(self.safety)
        } else {
            from_table
        }
    }

    /// Checks that a higher severity never gives a less urgent priority than
    /// a lower severity for the same grade; the message names the cell
    /// relative to `[complaints.priority]` (`high.b`), for the caller to
    /// prefix.
    pub fn validate(&self) -> Result<(), String> {
        for (lower, higher) in Severity::ALL
            .into_iter()
            .zip(Severity::ALL.into_iter().skip(1))
        {
            for grade in Grade::ALL {
                let below = self.row(lower).get(grade);
                let above = self.row(higher).get(grade);
                if above > below {
                    return Err(format!(
                        "{}.{} is {}, less urgent than {}.{} ({}); a higher severity must never get a \
                         less urgent priority",
                        higher.code(),
                        grade.code(),
                        above.code(),
                        lower.code(),
                        grade.code(),
                        below.code(),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What configuration may say about one row: any subset of its cells.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RowOverrides {
    a: Option<Priority>,
    b: Option<Priority>,
    c: Option<Priority>,
    d: Option<Priority>,
    ungraded: Option<Priority>,
}

impl RowOverrides {
    fn over(self, default: GradeRow) -> GradeRow {
        GradeRow {
            a: self.a.unwrap_or(default.a),
            b: self.b.unwrap_or(default.b),
            c: self.c.unwrap_or(default.c),
            d: self.d.unwrap_or(default.d),
            ungraded: self.ungraded.unwrap_or(default.ungraded),
        }
    }
}

/// What configuration may say about the policy: any subset of rows and cells.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct PolicyOverrides {
    low: RowOverrides,
    medium: RowOverrides,
    high: RowOverrides,
    critical: RowOverrides,
    safety: Option<Priority>,
}

impl From<PolicyOverrides> for PriorityPolicy {
    fn from(overrides: PolicyOverrides) -> Self {
        let default = PriorityPolicy::default();
        PriorityPolicy {
            low: overrides.low.over(default.low),
            medium: overrides.medium.over(default.medium),
            high: overrides.high.over(default.high),
            critical: overrides.critical.over(default.critical),
            safety: overrides.safety.unwrap_or(default.safety),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Config {
        complaints: ComplaintsConfig,
    }

    #[derive(Debug, Deserialize)]
    struct ComplaintsConfig {
        #[serde(default)]
        priority: PriorityPolicy,
    }

    fn parse(text: &str) -> Result<PriorityPolicy, toml::de::Error> {
        toml::from_str::<Config>(text).map(|config| config.complaints.priority)
    }

    #[test]
    fn the_default_table_reads_as_documented() {
        use Priority::{P1, P2, P3, P4};
        let policy = PriorityPolicy::default();
        // Columns: A, B, C, D, ungraded.
        let expected = [
            (Severity::Critical, [P1, P1, P1, P1, P1]),
            (Severity::High, [P1, P2, P2, P2, P2]),
            (Severity::Medium, [P2, P2, P3, P3, P3]),
            (Severity::Low, [P3, P3, P4, P4, P4]),
        ];

        for (severity, row) in expected {
            for (grade, want) in Grade::ALL.into_iter().zip(row) {
                assert_eq!(
                    policy.priority(severity, grade, false),
                    want,
                    "{}.{}",
                    severity.code(),
                    grade.code()
                );
            }
        }
        assert_eq!(policy.safety, P1);
        assert_eq!(policy.validate(), Ok(()));
    }

    #[test]
    fn the_safety_flag_raises_priority_but_never_lowers_it() {
        let policy = PriorityPolicy {
            safety: Priority::P2,
            ..PriorityPolicy::default()
        };

        assert_eq!(policy.priority(Severity::Low, Grade::D, true), Priority::P2);
        assert_eq!(
            policy.priority(Severity::Critical, Grade::D, true),
            Priority::P1
        );
        assert_eq!(
            PriorityPolicy::default().priority(Severity::Low, Grade::Ungraded, true),
            Priority::P1
        );
    }

    #[test]
    fn an_empty_or_missing_section_gives_the_defaults() {
        let missing = parse("[complaints]\n").expect("parses");
        let empty = parse("[complaints.priority]\n").expect("parses");

        assert_eq!(missing, PriorityPolicy::default());
        assert_eq!(empty, PriorityPolicy::default());
    }

    #[test]
    fn a_partial_override_changes_only_the_cells_it_names() {
        let text = r#"
            [complaints.priority]
            safety = "P2"

            [complaints.priority.high]
            c = "p3"
            d = "P3"

            [complaints.priority.low]
            ungraded = "p3"
        "#;

        let policy = parse(text).expect("parses");

        let default = PriorityPolicy::default();
        assert_eq!(policy.safety, Priority::P2);
        assert_eq!(
            policy.high,
            GradeRow {
                c: Priority::P3,
                d: Priority::P3,
                ..default.high
            }
        );
        assert_eq!(
            policy.low,
            GradeRow {
                ungraded: Priority::P3,
                ..default.low
            }
        );
        assert_eq!(policy.medium, default.medium);
        assert_eq!(policy.critical, default.critical);
        assert_eq!(policy.validate(), Ok(()));
    }

    #[test]
    fn priorities_read_in_either_case_and_nothing_else() {
        for (text, want) in [("p1", Priority::P1), ("P4", Priority::P4)] {
            let parsed: Priority = serde_json::from_str(&format!("\"{text}\"")).expect("parses");
            assert_eq!(parsed, want);
        }
        let refused = serde_json::from_str::<Priority>("\"urgent\"").expect_err("refused");
        assert!(
            refused.to_string().contains("p1, p2, p3 or p4"),
            "{refused}"
        );
    }

    #[test]
    fn a_misspelt_cell_or_bad_priority_is_refused() {
        let misspelt =
            parse("[complaints.priority.high]\nungrade = \"p1\"\n").expect_err("refused");
        let bad = parse("[complaints.priority.high]\na = \"p0\"\n").expect_err("refused");

        assert!(misspelt.to_string().contains("ungrade"), "{misspelt}");
        assert!(bad.to_string().contains("p0"), "{bad}");
    }

    #[test]
    fn a_higher_severity_with_a_lower_priority_is_refused_naming_the_cell() {
        let policy = parse("[complaints.priority.high]\nb = \"p4\"\n").expect("parses");

        let refused = policy.validate().expect_err("refused");

        assert!(
            refused.starts_with("high.b is p4, less urgent than medium.b (p2)"),
            "{refused}"
        );
    }

    #[test]
    fn the_policy_survives_a_toml_round_trip() {
        let mut policy = PriorityPolicy::default();
        policy.medium.ungraded = Priority::P2;
        let text = toml::to_string(&policy).expect("serialises");

        let back: PriorityPolicy = toml::from_str(&text).expect("parses");

        assert_eq!(back, policy);
    }

    #[test]
    fn every_code_reads_back_and_p1_sorts_first() {
        for s in Severity::ALL {
            assert_eq!(Severity::from_code(s.code()), Some(s));
        }
        for g in Grade::ALL {
            assert_eq!(Grade::from_code(g.code()), Some(g));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::from_code(p.code()), Some(p));
        }
        assert_eq!(Priority::from_code("P1"), None);
        assert!(Priority::P1 < Priority::P4);
        assert_eq!(Priority::ALL.iter().min(), Some(&Priority::P1));
    }
}
