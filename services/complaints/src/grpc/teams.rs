//! The escalation structure as data: teams with a supervisor and a
//! department with its head, whom the SLA ladder informs.

use redress_platform::audit::{Action, AuditEntry};
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::page::{self, Fingerprint};
use redress_proto::complaints::v1 as pb;

use super::audit::{TEAM_CREATED, TEAM_UPDATED};
use super::paging::{bad_token, page_args};
use super::{ComplaintApi, convert};
use crate::domain::names;
use crate::store::teams::{self as store, Team};

/// Longest name or subject in a team, in characters.
const MAX_TEAM_TEXT: usize = 200;

/// The validated fields of a team message.
fn fields(v: &mut FieldViolations, t: &pb::Team) -> [String; 4] {
    let pb::Team {
        name: _,
        display_name,
        supervisor,
        department,
        department_head,
        etag: _,
        create_time: _,
        update_time: _,
    } = t;
    [
        convert::text(v, "team.display_name", display_name, MAX_TEAM_TEXT, true),
        convert::text(v, "team.supervisor", supervisor, MAX_TEAM_TEXT, false),
        convert::text(v, "team.department", department, MAX_TEAM_TEXT, false),
        convert::text(
            v,
            "team.department_head",
            department_head,
            MAX_TEAM_TEXT,
            false,
        ),
    ]
}

/// The audit entry of a change to `team` of the escalation structure: who
/// supervises it and its department head are subjects, not personal data;
/// the display names stay out.
fn audited(
    caller: &Caller,
    action: Action,
    method: &'static str,
    team: &Team,
    now: jiff::Timestamp,
) -> AuditEntry {
    AuditEntry::by(caller, action, method, names::team(&team.id), now)
        .detail("supervisor", &team.supervisor)
        .detail("department_head", &team.department_head)
        .detail("version", team.version)
}

impl ComplaintApi {
    pub(super) async fn create_team(
        &self,
        caller: &Caller,
        r: pb::CreateTeamRequest,
    ) -> Result<pb::CreateTeamResponse, ApiError> {
        let mut v = FieldViolations::new();
        v.check("team_id", names::check_team_id(&r.team_id));
        let Some(given) = r.team.as_ref() else {
            v.add("team", "is required");
            return Err(ApiError::InvalidArgument(v));
        };
        let [display_name, supervisor, department, department_head] = fields(&mut v, given);
        v.into_result()?;
        let now = self.clock.now();
        let team = Team {
            id: r.team_id.clone(),
            display_name,
            supervisor,
            department,
            department_head,
            version: 1,
            create_time: now,
            update_time: now,
        };
        let mut tx = self.pool.begin().await?;
        store::insert(&mut tx, &team).await.map_err(|e| {
            if e.violates("teams_pkey") {
                ApiError::AlreadyExists {
                    reason: "TEAM_EXISTS",
                    message: format!("{} exists already", names::team(&team.id)),
                }
            } else {
                e.into()
            }
        })?;
        audited(caller, TEAM_CREATED, "CreateTeam", &team, now)
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(pb::CreateTeamResponse {
            team: Some(convert::team(&team)),
        })
    }

    pub(super) async fn update_team(
        &self,
        caller: &Caller,
        r: pb::UpdateTeamRequest,
    ) -> Result<pb::UpdateTeamResponse, ApiError> {
        let mut v = FieldViolations::new();
        let Some(given) = r.team.as_ref() else {
            return Err(ApiError::invalid("team", "is required"));
        };
        let id = v.check("team.name", names::parse_team(&given.name));
        let [display_name, supervisor, department, department_head] = fields(&mut v, given);
        v.into_result()?;
        let id = id.ok_or(ApiError::Internal)?;
        let mut tx = self.pool.begin().await?;
        let mut team = store::lock(&mut tx, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("Team", names::team(&id)))?;
        if !given.etag.is_empty() && given.etag != team.etag() {
            return Err(ApiError::Aborted {
                reason: "ETAG_MISMATCH",
                message: "the team changed since it was read; read it again and retry".into(),
            });
        }
        team.display_name = display_name;
        team.supervisor = supervisor;
        team.department = department;
        team.department_head = department_head;
        team.update_time = self.clock.now();
        (team.version, team.update_time) = store::update(&mut tx, &team).await?;
        audited(caller, TEAM_UPDATED, "UpdateTeam", &team, team.update_time)
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(pb::UpdateTeamResponse {
            team: Some(convert::team(&team)),
        })
    }

    pub(super) async fn list_teams(
        &self,
        _caller: &Caller,
        r: pb::ListTeamsRequest,
    ) -> Result<pb::ListTeamsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let fp = Fingerprint::of("ListTeams", &[]);
        let (size, after) = page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let size = size.ok_or(ApiError::Internal)?;
        let after = after
            .map(|bytes| String::from_utf8(bytes).map_err(|_| bad_token()))
            .transpose()?;
        let mut conn = self.pool.acquire().await?;
        let rows = store::list(&mut conn, after.as_deref(), size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |t| t.id.as_bytes().to_vec());
        Ok(pb::ListTeamsResponse {
            teams: rows.iter().map(convert::team).collect(),
            next_page_token,
        })
    }
}
