//! Improvement actions (recovery step 5): a change to the way of working so
//! that what complaints showed does not happen again. Each has one owner and
//! a due time (no buck-passing), moves open → in progress → done, or is
//! cancelled, and keeps the lesson learned, which it must have to be done.
//! It links the complaints it came from by id only.

use jiff::Timestamp;
use redress_platform::names::{NameError, parse_id};
use uuid::Uuid;

/// `improvementActions/{id}`.
pub fn name(id: Uuid) -> String {
    format!("improvementActions/{id}")
}

/// The id in `improvementActions/{id}`.
pub fn parse_name(input: &str) -> Result<Uuid, NameError> {
    parse_id(input, "improvementActions/", "improvementActions/{uuid}")
}

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;

/// Where an improvement action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Filed; not started.
    Open,
    /// Being worked on.
    InProgress,
    /// Done, with its lesson.
    Done,
    /// Given up.
    Cancelled,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::InProgress,
        Status::Done,
        Status::Cancelled,
    ];

    /// The status's code in storage and events.
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
        }
    }

    /// The status with `code`, if any.
    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The statuses reachable from this one in one change.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Open => &[Status::InProgress, Status::Cancelled],
            Status::InProgress => &[Status::Done, Status::Cancelled],
            Status::Done | Status::Cancelled => &[],
        }
    }

    /// Whether work on it is still to be done.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Open | Status::InProgress)
    }
}

/// An improvement action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImprovementAction {
    /// UUIDv7.
    pub id: Uuid,
    /// One line, 1 to [`MAX_TITLE`] characters.
    pub title: String,
    /// How, or empty.
    pub description: String,
    /// The one accountable owner; never empty.
    pub owner: String,
    /// When it is due.
    pub due_time: Timestamp,
    /// Where it stands.
    pub status: Status,
    /// What was learned; never empty once done.
    pub lesson: String,
    /// Who filed it.
    pub creator: String,
    /// The complaints it came from, in the order linked.
    pub complaints: Vec<Uuid>,
    /// Bumped by every change.
    pub version: i64,
    /// Filed.
    pub create_time: Timestamp,
    /// Last changed.
    pub update_time: Timestamp,
    /// Set exactly while done.
    pub done_time: Option<Timestamp>,
}

/// Why a change of an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IllegalChange {
    /// The status cannot go there from where it is.
    #[error("an improvement action cannot go from {} to {}", .from.code(), .to.code())]
    Status {
        /// Where it stands.
        from: Status,
        /// Where it was asked to go.
        to: Status,
    },
    /// Done needs the lesson learned.
    #[error("an improvement action is done only with its lesson; set the lesson too")]
    LessonRequired,
    /// A done or cancelled action is finished.
    #[error("the improvement action is {}; it changes no more", .0.code())]
    Finished(Status),
}

impl IllegalChange {
    /// The `ErrorInfo` reason.
    pub fn reason(self) -> &'static str {
        match self {
            IllegalChange::Status { .. } => "ILLEGAL_STATUS_CHANGE",
            IllegalChange::LessonRequired => "LESSON_REQUIRED",
            IllegalChange::Finished(_) => "IMPROVEMENT_ACTION_FINISHED",
        }
    }
}

impl ImprovementAction {
    /// The etag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// Whether it is past due at `now` and still to be done.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_active() && self.due_time < now
    }

    /// Checks that the action as it will be (`self`) may follow `before`:
    /// a finished action changes no more, the status moves only along
    /// [`Status::next`], and a done one has its lesson. Sets the done time.
    pub fn check_change(
        &mut self,
        before: &ImprovementAction,
        now: Timestamp,
    ) -> Result<(), IllegalChange> {
        if !before.status.is_active() {
            return Err(IllegalChange::Finished(before.status));
        }
        if self.status != before.status {
            if !before.status.next().contains(&self.status) {
                return Err(IllegalChange::Status {
                    from: before.status,
                    to: self.status,
                });
            }
            if self.status == Status::Done {
                self.done_time = Some(now);
            }
        }
        if self.status == Status::Done && self.lesson.trim().is_empty() {
            return Err(IllegalChange::LessonRequired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(status: Status) -> ImprovementAction {
        ImprovementAction {
            id: Uuid::now_v7(),
            title: "Confirm delivery slots by SMS".into(),
            description: String::new(),
            owner: "ops-1".into(),
            due_time: "2026-12-01T00:00:00Z".parse().expect("a time"),
            status,
            lesson: String::new(),
            creator: "agent-1".into(),
            complaints: vec![],
            version: 1,
            create_time: Timestamp::UNIX_EPOCH,
            update_time: Timestamp::UNIX_EPOCH,
            done_time: None,
        }
    }

    #[test]
    fn an_action_moves_open_in_progress_done_or_is_cancelled() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().expect("a time");
        let open = action(Status::Open);
        let mut started = open.clone();
        started.status = Status::InProgress;
        let mut straight_to_done = open.clone();
        straight_to_done.status = Status::Done;
        straight_to_done.lesson = "x".into();
        let mut cancelled = open.clone();
        cancelled.status = Status::Cancelled;

        assert_eq!(started.check_change(&open, now), Ok(()));
        assert_eq!(
            straight_to_done.check_change(&open, now),
            Err(IllegalChange::Status {
                from: Status::Open,
                to: Status::Done
            })
        );
        assert_eq!(cancelled.check_change(&open, now), Ok(()));
        let mut reopened = cancelled.clone();
        reopened.status = Status::Open;
        assert_eq!(
            reopened.check_change(&cancelled, now),
            Err(IllegalChange::Finished(Status::Cancelled))
        );
    }

    #[test]
    fn done_needs_a_lesson_and_records_when() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().expect("a time");
        let started = action(Status::InProgress);
        let mut without = started.clone();
        without.status = Status::Done;
        let mut with = without.clone();
        with.lesson = "Slots confirmed by SMS halve missed deliveries".into();

        assert_eq!(
            without.check_change(&started, now),
            Err(IllegalChange::LessonRequired)
        );
        assert_eq!(with.check_change(&started, now), Ok(()));
        assert_eq!(with.done_time, Some(now));
    }

    #[test]
    fn an_action_is_overdue_only_past_due_and_still_active() {
        let open = action(Status::Open);
        let after: Timestamp = "2026-12-02T00:00:00Z".parse().expect("a time");
        let before: Timestamp = "2026-11-30T00:00:00Z".parse().expect("a time");

        assert!(open.is_overdue(after));
        assert!(!open.is_overdue(before));
        assert!(!action(Status::Cancelled).is_overdue(after));
    }

    #[test]
    fn every_status_code_reads_back() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status.code()), Some(status));
        }
    }
}
