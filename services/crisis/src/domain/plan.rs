//! Contingency plans and tasks: a plan template's tasks (each for one team
//! role or one department, due a span after the declaration), its update
//! cadence per priority, who owns an instantiated task, and a task's
//! states. Pure: no protobuf, no SQL; the stored JSON shapes are the serde
//! forms here.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::crisis::{Priority, TeamRole};

/// Longest task title.
pub const MAX_TASK_TITLE: usize = 500;

/// Whose a plan task is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskFor {
    /// The holder of a team role.
    Role(TeamRole),
    /// The team member of a department.
    Department(String),
}

/// One task of a plan template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTask {
    /// What to do.
    pub title: String,
    /// Whose it is.
    pub owner: TaskFor,
    /// When it is due after the declaration; positive.
    pub due_after: SignedDuration,
}

/// A plan task as stored: `{title, role, department, due_after_seconds}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPlanTask {
    /// What to do.
    pub title: String,
    /// The role code, or empty.
    #[serde(default)]
    pub role: String,
    /// The department, or empty.
    #[serde(default)]
    pub department: String,
    /// Seconds after the declaration.
    pub due_after_seconds: i64,
}

impl PlanTask {
    /// The stored form.
    pub fn stored(&self) -> StoredPlanTask {
        let (role, department) = match &self.owner {
            TaskFor::Role(role) => (role.code().to_owned(), String::new()),
            TaskFor::Department(d) => (String::new(), d.clone()),
        };
        StoredPlanTask {
            title: self.title.clone(),
            role,
            department,
            due_after_seconds: self.due_after.as_secs(),
        }
    }

    /// The task of a stored form; `None` when it names neither a known role
    /// nor a department.
    pub fn from_stored(stored: &StoredPlanTask) -> Option<Self> {
        let owner = if stored.role.is_empty() {
            if stored.department.is_empty() {
                return None;
            }
            TaskFor::Department(stored.department.clone())
        } else {
            TaskFor::Role(TeamRole::from_code(&stored.role)?)
        };
        Some(Self {
            title: stored.title.clone(),
            owner,
            due_after: SignedDuration::from_secs(stored.due_after_seconds),
        })
    }

    /// When a crisis declared at `declared` has this task due.
    pub fn due_time(&self, declared: Timestamp) -> Timestamp {
        declared.checked_add(self.due_after).unwrap_or(declared)
    }
}

/// A cadence as stored: `{priority, every_seconds}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCadence {
    /// "P1" to "P4".
    pub priority: PriorityCode,
    /// Seconds between updates.
    pub every_seconds: i64,
}

/// A priority code as JSON ("P1".."P4").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriorityCode {
    /// P1.
    P1,
    /// P2.
    P2,
    /// P3.
    P3,
    /// P4.
    P4,
}

impl From<Priority> for PriorityCode {
    fn from(p: Priority) -> Self {
        match p {
            Priority::P1 => Self::P1,
            Priority::P2 => Self::P2,
            Priority::P3 => Self::P3,
            Priority::P4 => Self::P4,
        }
    }
}

impl From<PriorityCode> for Priority {
    fn from(p: PriorityCode) -> Self {
        match p {
            PriorityCode::P1 => Self::P1,
            PriorityCode::P2 => Self::P2,
            PriorityCode::P3 => Self::P3,
            PriorityCode::P4 => Self::P4,
        }
    }
}

/// The cadence a template sets for `priority`, if it sets one.
pub fn cadence_for(cadences: &[StoredCadence], priority: Priority) -> Option<SignedDuration> {
    cadences
        .iter()
        .find(|c| Priority::from(c.priority) == priority)
        .map(|c| SignedDuration::from_secs(c.every_seconds))
}

/// One person on the team as task owners are picked from it.
#[derive(Debug, Clone)]
pub struct Holder<'a> {
    /// Their subject.
    pub subject: &'a str,
    /// Their role.
    pub role: TeamRole,
    /// Their department.
    pub department: &'a str,
}

/// Who owns an instantiated plan task: the holder of its role, or the team
/// member of its department (the first, for several), else the commander.
pub fn owner_of<'a>(task: &PlanTask, team: &[Holder<'a>], commander: &'a str) -> &'a str {
    let found = match &task.owner {
        TaskFor::Role(role) => team.iter().find(|h| h.role == *role),
        TaskFor::Department(d) => team.iter().find(|h| h.department == d.as_str()),
    };
    found.map(|h| h.subject).unwrap_or(commander)
}

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// To do.
    Open,
    /// Done.
    Done,
    /// No longer needed.
    Cancelled,
}

impl TaskState {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// The state of a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Open, Self::Done, Self::Cancelled]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(owner: TaskFor) -> PlanTask {
        PlanTask {
            title: "Call the press office".into(),
            owner,
            due_after: SignedDuration::from_mins(30),
        }
    }

    #[test]
    fn owners_come_from_the_role_or_the_department_else_the_commander() {
        let team = [
            Holder {
                subject: "ann",
                role: TeamRole::Spokesperson,
                department: "",
            },
            Holder {
                subject: "bob",
                role: TeamRole::Member,
                department: "logistics",
            },
        ];
        let of = |o| owner_of(&task(o), &team, "cmd");
        assert_eq!(of(TaskFor::Role(TeamRole::Spokesperson)), "ann");
        assert_eq!(of(TaskFor::Department("logistics".into())), "bob");
        assert_eq!(of(TaskFor::Role(TeamRole::Scribe)), "cmd");
        assert_eq!(of(TaskFor::Department("legal".into())), "cmd");
    }

    #[test]
    fn a_stored_task_reads_back() {
        let t = task(TaskFor::Role(TeamRole::Liaison));
        assert_eq!(PlanTask::from_stored(&t.stored()), Some(t));
    }
}
