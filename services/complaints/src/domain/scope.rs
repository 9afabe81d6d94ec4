//! Which complaints a person may see and act on: the team scope. Agents work
//! the complaints of their team; supervisors and department heads see
//! further; those who look across the whole company see everything. This is
//! the one place the rule is decided; the store renders a [`Scope`] as a SQL
//! condition (`store::scope`) so lists, batch reads and figures are filtered
//! before paging, and single reads and commands refuse a complaint outside it
//! with [`Scope::refusal`].
//!
//! A [`Viewer`] (a person with a limited scope) sees a complaint when
//! - its `owner_team` is the viewer's team;
//! - the viewer owns it, or watches it (owned it earlier);
//! - a pending hand-off offers it to the viewer or the viewer's team;
//! - an assist on it (open or answered) is addressed to the viewer or the
//!   viewer's team (an assist's "department" names a team), so an assistant
//!   keeps adding notes after answering;
//! - its `owner_team` is a team the viewer supervises (`teams.supervisor`),
//!   or a team of a department the viewer heads (`teams.department_head`).
//!
//! Everything is seen by `admin` and `crisis_manager` (who link complaints to
//! crises), and by a `service` calling for nobody (a system's own work, such
//! as crisis counting the complaints about a product). A service calling for
//! a person has that person's scope. `communications` staff are viewers like
//! agents: they see what their team works on. The supervisor's override of
//! ownership (acting on a complaint they do not own) applies only inside
//! their scope, because every command checks the scope first.

use redress_platform::auth::{Caller, Role};
use redress_platform::error::ApiError;

/// The roles that see every complaint.
const SEES_EVERYTHING: [Role; 2] = [Role::Admin, Role::CrisisManager];

/// The ErrorInfo reason of a complaint outside the caller's scope.
pub const OUTSIDE_TEAM: &str = "OUTSIDE_TEAM";

/// A person whose scope is limited to their team and what reaches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// Their subject (owner, watcher, addressee of offers and assists,
    /// supervisor or department head in the teams table).
    pub subject: String,
    /// Their team, from the token's `team` claim; `None` for a person in no
    /// team, who then sees only what reaches them by name or by structure.
    pub team: Option<String>,
}

/// Which complaints a call may see and act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every complaint.
    Everything,
    /// The complaints a [`Viewer`] sees (see the module documentation).
    Of(Viewer),
}

impl Scope {
    /// The scope of a call: the end user's when a service acts for one,
    /// everything for a service acting for nobody, else the caller's.
    pub fn of(caller: &Caller) -> Self {
        let person = match &caller.end_user {
            Some(end_user) => end_user.as_ref(),
            None if caller.has_role(Role::Service) => return Scope::Everything,
            None => caller,
        };
        if person.has_any(&SEES_EVERYTHING) || person.has_role(Role::Service) {
            Scope::Everything
        } else {
            Scope::Of(Viewer {
                subject: person.subject.clone(),
                team: person.team.clone().filter(|team| !team.is_empty()),
            })
        }
    }

    /// Whether this scope is unlimited.
    pub fn is_everything(&self) -> bool {
        matches!(self, Scope::Everything)
    }

    /// The viewer, when the scope is limited.
    pub fn viewer(&self) -> Option<&Viewer> {
        match self {
            Scope::Everything => None,
            Scope::Of(viewer) => Some(viewer),
        }
    }

    /// Whether a complaint's own record already places it inside this scope:
    /// the scope is everything, or the viewer's team owns it, or the viewer
    /// owns or watches it. `false` means the record alone does not say; the
    /// store then weighs offers, assists and the teams structure too.
    pub fn admits_record(&self, owner: &str, owner_team: &str, watchers: &[String]) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Of(viewer) => {
                viewer.team.as_deref() == Some(owner_team)
                    || owner == viewer.subject
                    || watchers.contains(&viewer.subject)
            }
        }
    }

    /// The refusal of a complaint outside this scope, saying how to get
    /// access.
    pub fn refusal() -> ApiError {
        ApiError::PermissionDenied {
            reason: OUTSIDE_TEAM,
            message: "the complaint belongs to another team; ask the owning team, or have it \
                      handed off or an assist addressed to you or your team"
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use redress_platform::Secret;

    use super::*;

    fn caller(subject: &str, roles: &[Role], team: Option<&str>) -> Caller {
        Caller {
            subject: subject.into(),
            roles: roles.to_vec(),
            team: team.map(str::to_owned),
            locale: None,
            end_user: None,
            token: Secret::new(String::new()),
        }
    }

    #[test]
    fn the_record_alone_admits_the_team_the_owner_and_the_watchers() {
        let scope = Scope::of(&caller("p-1", &[Role::Agent], Some("front")));
        let watchers = vec!["p-1".to_owned()];
        assert!(scope.admits_record("p-9", "front", &[]));
        assert!(scope.admits_record("p-1", "billing", &[]));
        assert!(scope.admits_record("p-9", "billing", &watchers));
        assert!(!scope.admits_record("p-9", "billing", &[]));
        assert!(!scope.admits_record("p-9", "", &[]));
        assert!(Scope::Everything.admits_record("p-9", "billing", &[]));
    }

    #[test]
    fn agents_supervisors_and_communications_see_a_limited_scope() {
        for role in [Role::Agent, Role::Supervisor, Role::Communications] {
            assert_eq!(
                Scope::of(&caller("p-1", &[role], Some("front"))),
                Scope::Of(Viewer {
                    subject: "p-1".into(),
                    team: Some("front".into())
                })
            );
        }
    }

    #[test]
    fn admins_crisis_managers_and_services_acting_for_nobody_see_everything() {
        assert!(Scope::of(&caller("a", &[Role::Admin], None)).is_everything());
        assert!(Scope::of(&caller("c", &[Role::CrisisManager], None)).is_everything());
        assert!(Scope::of(&caller("svc", &[Role::Service], None)).is_everything());
    }

    #[test]
    fn a_service_acting_for_an_agent_has_the_agents_scope() {
        let mut service = caller("svc-crisis", &[Role::Service], None);
        service.end_user = Some(Box::new(caller("agent-7", &[Role::Agent], Some("back"))));
        assert_eq!(
            Scope::of(&service).viewer().map(|v| v.team.as_deref()),
            Some(Some("back"))
        );
    }

    #[test]
    fn an_empty_team_claim_is_no_team() {
        let scope = Scope::of(&caller("p", &[Role::Agent], Some("")));
        assert_eq!(scope.viewer().and_then(|v| v.team.as_deref()), None);
    }
}
