//! Looking across complaints and at the service's reference data: figures
//! over a period (`stats`), the category tree, the teams of the escalation
//! structure, and the complaint event feed from a position (what consumers
//! read; `--after` with the last position printed resumes it).

use clap::{Args, Subcommand};
use jiff::Timestamp;
use redress_platform::wire::timestamp;
use redress_proto::complaints::v1 as pb;
use serde_json::json;

use super::{Page, Session, json, print_next_page, tables};
use crate::client::args::{parse_time, team_name};
use crate::client::render::{Format, print_json, print_line, print_table};

/// Report and reference-data verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Figures over the complaints created in a period: counts, response
    /// and resolution times, SLAs met, transfers, reopenings.
    Stats(StatsArgs),
    /// The complaint categories, depth first.
    Categories,
    /// The teams of the escalation structure.
    Teams {
        /// What to do with teams.
        #[command(subcommand)]
        verb: TeamsVerb,
    },
    /// The complaint event feed after a position, oldest first (needs the
    /// admin or service role).
    Events(EventsArgs),
}

/// `redress complaints stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The start of the period, RFC 3339.
    #[arg(long, value_parser = parse_time)]
    from: Timestamp,
    /// The end of the period, RFC 3339 (default: now).
    #[arg(long, value_parser = parse_time)]
    to: Option<Timestamp>,
    /// Only this team's complaints (`teams/{id}` or the id).
    #[arg(long)]
    team: Option<String>,
}

/// `redress complaints events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The last position seen (default: 0, the start of the feed).
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// At most this many events (default 50, at most 1000).
    #[arg(long)]
    page_size: Option<i32>,
    /// Only events of this type, such as complaint.created; repeat for more.
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
}

/// What a team is: its people and department. Flags left out keep the
/// team's value on update and stay empty on create.
#[derive(Debug, Args)]
pub struct TeamFields {
    /// What the team is called (required on create).
    #[arg(long)]
    display_name: Option<String>,
    /// The supervisor's staff subject, escalated to at the second step.
    #[arg(long)]
    supervisor: Option<String>,
    /// The department's name.
    #[arg(long)]
    department: Option<String>,
    /// The department head's staff subject, escalated to at the third step.
    #[arg(long)]
    department_head: Option<String>,
}

impl TeamFields {
    /// `team` with the fields given replaced.
    fn apply(self, mut team: pb::Team) -> pb::Team {
        let TeamFields {
            display_name,
            supervisor,
            department,
            department_head,
        } = self;
        let replace = |value: Option<String>, field: &mut String| {
            if let Some(value) = value {
                *field = value;
            }
        };
        replace(display_name, &mut team.display_name);
        replace(supervisor, &mut team.supervisor);
        replace(department, &mut team.department);
        replace(department_head, &mut team.department_head);
        team
    }
}

/// Team verbs.
#[derive(Debug, Subcommand)]
pub enum TeamsVerb {
    /// List the teams, by id.
    List(Page),
    /// Create a team (needs the admin role).
    Create {
        /// The team's id: a-z, 0-9, `-` and `_`; its members' `team` claim.
        team_id: String,
        /// The team's fields.
        #[command(flatten)]
        fields: TeamFields,
    },
    /// Change some of a team's fields (needs the admin role); the others
    /// keep the values read just before.
    Update {
        /// The team: `teams/{id}` or the id.
        team: String,
        /// The new values.
        #[command(flatten)]
        fields: TeamFields,
        /// The etag read with the team: the update is refused if the team
        /// changed since (default: the etag read just before).
        #[arg(long)]
        etag: Option<String>,
    },
}

/// Runs a report verb.
pub(super) async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    match verb {
        Verb::Stats(args) => stats(session, args).await,
        Verb::Categories => categories(session).await,
        Verb::Teams { verb } => teams(session, verb).await,
        Verb::Events(args) => events(session, args).await,
    }
}

/// Prints the figures for a period.
async fn stats(session: &mut Session<'_>, args: StatsArgs) -> anyhow::Result<()> {
    let StatsArgs { from, to, team } = args;
    let to = match to {
        Some(to) => to,
        None => Timestamp::now().round(jiff::Unit::Second)?,
    };
    let request = pb::GetComplaintStatsRequest {
        start_time: Some(timestamp(from)),
        end_time: Some(timestamp(to)),
        team: team.as_deref().map(team_name).unwrap_or_default(),
    };
    let response = session
        .client
        .get_complaint_stats(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => {
            let mut value = json::stats(&response);
            if let Some(object) = value.as_object_mut() {
                object.insert("start_time".into(), json!(from.to_string()));
                object.insert("end_time".into(), json!(to.to_string()));
            }
            print_json(&value)
        }
        Format::Table => {
            print_line(format!("Complaints created from {from} to {to}:"))?;
            print_table(&tables::stats(&response))?;
            print_table(&tables::breakdown(&response))
        }
    }
}

/// Lists the category tree.
async fn categories(session: &mut Session<'_>) -> anyhow::Result<()> {
    let response = session
        .client
        .list_categories(pb::ListCategoriesRequest {})
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "categories": response.categories.iter().map(json::category).collect::<Vec<_>>(),
        })),
        Format::Table => print_table(&tables::categories(&response.categories)),
    }
}

/// Prints one team as `{"team": ...}` or a record.
fn print_team(format: Format, team: Option<&pb::Team>) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&json!({ "team": team.map(json::team) })),
        Format::Table => match team {
            Some(team) => print_table(&tables::teams(std::slice::from_ref(team))),
            None => print_line("(no team in the response)"),
        },
    }
}

/// Lists, creates or updates teams.
async fn teams(session: &mut Session<'_>, verb: TeamsVerb) -> anyhow::Result<()> {
    match verb {
        TeamsVerb::List(page) => {
            let (page_size, page_token) = page.into_parts();
            let request = pb::ListTeamsRequest {
                page_size,
                page_token,
            };
            let response = session
                .client
                .list_teams(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            match session.format {
                Format::Json => print_json(&json!({
                    "teams": response.teams.iter().map(json::team).collect::<Vec<_>>(),
                    "next_page_token": response.next_page_token,
                })),
                Format::Table => {
                    print_table(&tables::teams(&response.teams))?;
                    print_next_page(&response.next_page_token)
                }
            }
        }
        TeamsVerb::Create { team_id, fields } => {
            let request = pb::CreateTeamRequest {
                team_id: team_id.trim().to_owned(),
                team: Some(fields.apply(pb::Team::default())),
            };
            let response = session
                .client
                .create_team(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_team(session.format, response.team.as_ref())
        }
        TeamsVerb::Update { team, fields, etag } => {
            let current = find_team(session, &team_name(&team)).await?;
            let mut team = fields.apply(current);
            if let Some(etag) = etag {
                team.etag = etag;
            }
            let request = pb::UpdateTeamRequest { team: Some(team) };
            let response = session
                .client
                .update_team(request)
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_team(session.format, response.team.as_ref())
        }
    }
}

/// The team named `name`, read from the list (there is no GetTeam: teams
/// are few), so an update can keep the fields not given.
async fn find_team(session: &mut Session<'_>, name: &str) -> anyhow::Result<pb::Team> {
    let mut page_token = String::new();
    loop {
        let request = pb::ListTeamsRequest {
            page_size: 1000,
            page_token,
        };
        let response = session
            .client
            .list_teams(request)
            .await
            .map_err(|s| session.fail(s))?
            .into_inner();
        if let Some(team) = response.teams.into_iter().find(|t| t.name == name) {
            return Ok(team);
        }
        if response.next_page_token.is_empty() {
            anyhow::bail!("there is no team {name}; `redress complaints teams list` lists them");
        }
        page_token = response.next_page_token;
    }
}

/// Lists the event feed after a position.
async fn events(session: &mut Session<'_>, args: EventsArgs) -> anyhow::Result<()> {
    let EventsArgs {
        after,
        page_size,
        types,
    } = args;
    let request = pb::ListComplaintEventsRequest {
        after_position: after,
        page_size: page_size.unwrap_or(0),
        types,
    };
    let response = session
        .client
        .list_complaint_events(request)
        .await
        .map_err(|s| session.fail(s))?
        .into_inner();
    match session.format {
        Format::Json => print_json(&json!({
            "events": response.events.iter().map(json::event).collect::<Vec<_>>(),
            "last_position": response.last_position,
        })),
        Format::Table => {
            print_table(&tables::events(&response.events))?;
            print_line(format!("Next: --after {}", response.last_position))
        }
    }
}
