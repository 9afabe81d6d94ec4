//! Who is affected and what they are told: link affected customers (by name
//! or by a selector the customers service resolves) and complaints, read the
//! counts, draft a statement with its localised variants, have the
//! spokesperson approve it, release it, and record reports to regulators.

use clap::Subcommand;
use jiff::Timestamp;
use redress_platform::wire;
use redress_proto::crisis::v1 as pb;
use redress_proto::customers::v1 as cpb;
use serde_json::json;

use super::show::{print_statements, statement_json};
use super::{Page, Session, crisis_name, print_next_page};
use crate::client::args::{complaint_name, customer_name, parse_time, request_id};
use crate::client::render::{
    Format, enum_cell, list, print_json, print_line, print_table, time_cell,
};
use crate::client::wire_enum::enum_parser;

/// Affected-party and statement verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Link affected customers: named ones (--customer), or everyone a
    /// selector takes (--tag, --region-code, --grade, --locale), streamed in
    /// the background.
    LinkCustomers {
        /// The crisis.
        crisis: String,
        /// Customers by name or id (repeatable, at most 1000).
        #[arg(long = "customer")]
        customers: Vec<String>,
        /// Customers with this tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Customers with an address in this ISO 3166-1 country (repeatable).
        #[arg(long = "region-code")]
        region_codes: Vec<String>,
        /// Customers of this value grade: a, b, c, d (repeatable).
        #[arg(long = "grade", value_parser = enum_parser::<cpb::ValueGrade>())]
        grades: Vec<cpb::ValueGrade>,
        /// Customers of this locale or one under it (repeatable).
        #[arg(long = "locale")]
        locales: Vec<String>,
        /// They are heavily affected (told first).
        #[arg(long)]
        heavy: bool,
    },
    /// Show a customer link's progress.
    Link {
        /// The link: `crises/{c}/customerLinks/{id}`.
        name: String,
    },
    /// Link complaints by name.
    LinkComplaints {
        /// The crisis.
        crisis: String,
        /// The complaints (names or ids).
        #[arg(required = true)]
        complaints: Vec<String>,
    },
    /// List a crisis's affected customers, heavily affected first.
    Affected {
        /// The crisis.
        crisis: String,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
    /// The affected counts over time.
    Counts {
        /// The crisis.
        crisis: String,
    },
    /// Draft a statement for one audience.
    DraftStatement {
        /// The crisis.
        crisis: String,
        /// Who it speaks to: affected-customers, all-customers, employees,
        /// regulators, media, partners.
        #[arg(long, value_parser = enum_parser::<pb::Audience>())]
        audience: pb::Audience,
        /// A variant as `locale|headline|body`; the first is the default
        /// (repeatable).
        #[arg(long = "variant", required = true, value_parser = parse_variant)]
        variants: Vec<pb::StatementVariant>,
        /// It passes quiet hours.
        #[arg(long)]
        critical: bool,
    },
    /// Approve a draft (the crisis's spokesperson only); approves the draft
    /// as it is now.
    Approve {
        /// The statement: `crises/{c}/statements/{id}`.
        statement: String,
    },
    /// Release an approved statement.
    Release {
        /// The statement.
        statement: String,
    },
    /// List a crisis's statements.
    Statements {
        /// The crisis.
        crisis: String,
        /// Which page.
        #[command(flatten)]
        page: Page,
    },
    /// Record a report made to a regulator.
    ReportRegulator {
        /// The crisis.
        crisis: String,
        /// The regulator.
        #[arg(long)]
        regulator: String,
        /// What was reported.
        #[arg(long)]
        content: String,
        /// When it was reported (RFC 3339; default now).
        #[arg(long, value_parser = parse_time)]
        at: Option<Timestamp>,
        /// How (portal, e-mail, letter, call).
        #[arg(long)]
        channel: Option<String>,
        /// The statement it carried.
        #[arg(long)]
        statement: Option<String>,
        /// Their reference.
        #[arg(long)]
        reference: Option<String>,
    },
}

/// Parses `locale|headline|body`.
fn parse_variant(text: &str) -> Result<pb::StatementVariant, String> {
    let mut parts = text.splitn(3, '|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(locale), Some(headline), Some(body)) if !locale.trim().is_empty() => {
            Ok(pb::StatementVariant {
                locale: locale.trim().to_owned(),
                headline: headline.to_owned(),
                body: body.to_owned(),
            })
        }
        _ => Err(format!("{text:?} is not locale|headline|body")),
    }
}

/// Prints one statement.
fn print_one(format: Format, statement: Option<&pb::Statement>) -> anyhow::Result<()> {
    match (format, statement) {
        (Format::Json, Some(s)) => print_json(&json!({ "statement": statement_json(s) })),
        (_, s) => print_statements(Format::Table, &s.cloned().into_iter().collect::<Vec<_>>()),
    }
}

/// Prints a customer link.
fn print_link(format: Format, link: Option<&pb::CustomerLink>) -> anyhow::Result<()> {
    let Some(l) = link else {
        return print_line("(no link in the response)");
    };
    if format == Format::Json {
        return print_json(&json!({ "link": {
            "name": l.name,
            "impact": crate::client::render::enum_json::<pb::ImpactLevel>(l.impact),
            "state": crate::client::render::enum_json::<pb::CustomerLinkState>(l.state),
            "seen_count": l.seen_count,
            "added_count": l.added_count,
            "create_time": crate::client::render::time_json(l.create_time.as_ref()),
            "complete_time": crate::client::render::time_json(l.complete_time.as_ref()),
        }}));
    }
    let mut table = list(&["name", "impact", "state", "seen", "added", "done"]);
    table.add_row(vec![
        l.name.clone(),
        enum_cell::<pb::ImpactLevel>(l.impact),
        enum_cell::<pb::CustomerLinkState>(l.state),
        l.seen_count.to_string(),
        l.added_count.to_string(),
        time_cell(l.complete_time.as_ref()),
    ]);
    print_table(&table)
}

/// Runs an affected-party or statement verb.
pub async fn run(session: &mut Session<'_>, verb: Verb) -> anyhow::Result<()> {
    let format = session.format;
    match verb {
        Verb::LinkCustomers {
            crisis,
            customers,
            tags,
            region_codes,
            grades,
            locales,
            heavy,
        } => {
            let by = if customers.is_empty() {
                pb::link_affected_customers_request::Customers::Selector(cpb::CustomerSelector {
                    value_grades: grades.into_iter().map(|g| g as i32).collect(),
                    tags,
                    locales,
                    region_codes,
                    ..cpb::CustomerSelector::default()
                })
            } else {
                pb::link_affected_customers_request::Customers::Names(pb::CustomerNames {
                    names: customers.iter().map(|c| customer_name(c)).collect(),
                })
            };
            let impact = if heavy {
                pb::ImpactLevel::Heavy
            } else {
                pb::ImpactLevel::Normal
            };
            let response = session
                .client
                .link_affected_customers(pb::LinkAffectedCustomersRequest {
                    crisis: crisis_name(&crisis),
                    customers: Some(by),
                    impact: impact as i32,
                    request_id: request_id(None),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_link(format, response.link.as_ref())
        }
        Verb::Link { name } => {
            let response = session
                .client
                .get_customer_link(pb::GetCustomerLinkRequest { name })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_link(format, response.link.as_ref())
        }
        Verb::LinkComplaints { crisis, complaints } => {
            let response = session
                .client
                .link_complaints(pb::LinkComplaintsRequest {
                    crisis: crisis_name(&crisis),
                    complaints: complaints.iter().map(|c| complaint_name(c)).collect(),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            match format {
                Format::Json => print_json(&json!({
                    "added_count": response.added_count,
                    "complaint_count": response.complaint_count,
                })),
                Format::Table => print_line(format!(
                    "{} linked; {} complaints in all",
                    response.added_count, response.complaint_count
                )),
            }
        }
        Verb::Affected { crisis, page } => {
            let (page_size, page_token) = page.into_parts();
            let response = session
                .client
                .list_affected_customers(pb::ListAffectedCustomersRequest {
                    crisis: crisis_name(&crisis),
                    impact: 0,
                    page_size,
                    page_token,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            if format == Format::Json {
                let all: Vec<_> = response
                    .customers
                    .iter()
                    .map(|c| {
                        json!({
                            "customer": c.customer,
                            "impact": crate::client::render::enum_json::<pb::ImpactLevel>(c.impact),
                            "link_time": crate::client::render::time_json(c.link_time.as_ref()),
                        })
                    })
                    .collect();
                print_json(&json!({ "customers": all }))?;
            } else {
                let mut table = list(&["customer", "impact", "linked"]);
                for c in &response.customers {
                    table.add_row(vec![
                        c.customer.clone(),
                        enum_cell::<pb::ImpactLevel>(c.impact),
                        time_cell(c.link_time.as_ref()),
                    ]);
                }
                print_table(&table)?;
            }
            print_next_page(&response.next_page_token)
        }
        Verb::Counts { crisis } => {
            let response = session
                .client
                .get_affected_counts(pb::GetAffectedCountsRequest {
                    crisis: crisis_name(&crisis),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            if format == Format::Json {
                let all: Vec<_> = response
                    .points
                    .iter()
                    .map(|p| {
                        json!({
                            "time": crate::client::render::time_json(p.time.as_ref()),
                            "heavy_customer_count": p.heavy_customer_count,
                            "normal_customer_count": p.normal_customer_count,
                            "complaint_count": p.complaint_count,
                        })
                    })
                    .collect();
                return print_json(&json!({ "points": all }));
            }
            let mut table = list(&["time", "heavy", "normal", "complaints"]);
            for p in &response.points {
                table.add_row(vec![
                    time_cell(p.time.as_ref()),
                    p.heavy_customer_count.to_string(),
                    p.normal_customer_count.to_string(),
                    p.complaint_count.to_string(),
                ]);
            }
            print_table(&table)
        }
        Verb::DraftStatement {
            crisis,
            audience,
            variants,
            critical,
        } => {
            let response = session
                .client
                .create_statement(pb::CreateStatementRequest {
                    parent: crisis_name(&crisis),
                    statement: Some(pb::Statement {
                        audience: audience as i32,
                        variants,
                        critical,
                        ..pb::Statement::default()
                    }),
                    request_id: request_id(None),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.statement.as_ref())
        }
        Verb::Approve { statement } => {
            let current = session
                .client
                .get_statement(pb::GetStatementRequest {
                    name: statement.clone(),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner()
                .statement
                .ok_or_else(|| anyhow::anyhow!("no statement in the response for {statement}"))?;
            let response = session
                .client
                .approve_statement(pb::ApproveStatementRequest {
                    name: current.name,
                    etag: current.etag,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.statement.as_ref())
        }
        Verb::Release { statement } => {
            let response = session
                .client
                .release_statement(pb::ReleaseStatementRequest { name: statement })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_one(format, response.statement.as_ref())
        }
        Verb::Statements { crisis, page } => {
            let (page_size, page_token) = page.into_parts();
            let response = session
                .client
                .list_statements(pb::ListStatementsRequest {
                    parent: crisis_name(&crisis),
                    page_size,
                    page_token,
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            print_statements(format, &response.statements)?;
            print_next_page(&response.next_page_token)
        }
        Verb::ReportRegulator {
            crisis,
            regulator,
            content,
            at,
            channel,
            statement,
            reference,
        } => {
            let response = session
                .client
                .record_regulator_report(pb::RecordRegulatorReportRequest {
                    parent: crisis_name(&crisis),
                    report: Some(pb::RegulatorReport {
                        regulator,
                        report_time: Some(wire::timestamp(at.unwrap_or_else(Timestamp::now))),
                        channel: channel.unwrap_or_default(),
                        content,
                        statement: statement.unwrap_or_default(),
                        reference: reference.unwrap_or_default(),
                        ..pb::RegulatorReport::default()
                    }),
                    request_id: request_id(None),
                })
                .await
                .map_err(|s| session.fail(s))?
                .into_inner();
            let report = response.report.unwrap_or_default();
            match format {
                Format::Json => print_json(&json!({ "report": {
                    "name": report.name,
                    "regulator": report.regulator,
                    "report_time": crate::client::render::time_json(report.report_time.as_ref()),
                    "channel": report.channel,
                    "statement": report.statement,
                    "reference": report.reference,
                }})),
                Format::Table => print_line(format!(
                    "{} recorded: reported to {} at {}",
                    report.name,
                    report.regulator,
                    time_cell(report.report_time.as_ref())
                )),
            }
        }
    }
}
