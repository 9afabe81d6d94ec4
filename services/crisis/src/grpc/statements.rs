//! Statements and regulator reports: drafts per audience with localised
//! variants, approval by the crisis's spokesperson alone (on the etag that
//! was read), release through the notifications service
//! (`crate::publication`), and the record of each report to a regulator.

use jiff::Timestamp;
use prost::Message as _;
use redress_platform::audit::AuditEntry;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{self, Claim, replay};
use redress_platform::outbox;
use redress_platform::page::{self, Fingerprint, page_args};
use redress_platform::wire::{self, timestamp, timestamp_opt};
use redress_proto::crisis::v1 as pb;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::affected::decode_time_id;
use super::convert::{closed, known_crisis, open_crisis};
use super::{CrisisApi, audit};
use crate::domain::statement::{
    self as domain, Audience, MAX_REPORT, StatementState, Variant, Variants, check_text,
};
use crate::events::{self, types};
use crate::names;
use crate::publication;
use crate::store::crises::Head;
use crate::store::statements::{self as store, NewStatement, RegulatorReport, Statement};
use crate::store::timeline::{self, NewEntry};

/// The longest regulator, channel or reference, in characters.
const MAX_SHORT: usize = 200;

impl CrisisApi {
    pub(super) async fn create_statement(
        &self,
        caller: &Caller,
        request: pb::CreateStatementRequest,
    ) -> Result<pb::CreateStatementResponse, ApiError> {
        let fp = idempotency::fingerprint_of(&request, |r| r.request_id.clear());
        let pb::CreateStatementRequest {
            parent,
            statement,
            request_id,
        } = request;
        let mut v = FieldViolations::new();
        let crisis_id = v.check("parent", names::parse_crisis(&parent));
        let request_id = idempotency::request_id_field(&mut v, &request_id);
        let draft = match statement {
            None => {
                v.add("statement", "is required");
                None
            }
            Some(s) => {
                let audience = audience_field(&mut v, s.audience);
                let variants = variants_field(&mut v, s.variants);
                audience.zip(variants).map(|(a, vs)| (a, vs, s.critical))
            }
        };
        v.into_result()?;
        let (Some(crisis_id), Some((audience, variants, critical))) = (crisis_id, draft) else {
            return Err(ApiError::Internal);
        };

        let now = self.clock.now();
        let actor = caller.acting_subject();
        let mut tx = self.pool.begin().await?;
        let claim =
            Claim::take(&mut tx, "CreateStatement", request_id, &caller.subject, &fp).await?;
        if let Claim::Replay(answer) = claim {
            return replay(&answer);
        }
        let head = open_crisis(&mut tx, crisis_id).await?;
        let statement = store::insert(
            &mut tx,
            NewStatement {
                id: Uuid::now_v7(),
                crisis_id,
                audience,
                variants: &variants,
                critical,
                author: actor,
            },
            now,
        )
        .await?;
        record(
            &mut tx,
            &head,
            &statement,
            "statement_drafted",
            "Drafted",
            actor,
            now,
        )
        .await?;
        let response = pb::CreateStatementResponse {
            statement: Some(to_wire(&statement)),
        };
        claim.finish(&mut tx, &response.encode_to_vec()).await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(super) async fn update_statement(
        &self,
        caller: &Caller,
        request: pb::UpdateStatementRequest,
    ) -> Result<pb::UpdateStatementResponse, ApiError> {
        let mut v = FieldViolations::new();
        let Some(given) = request.statement else {
            return Err(ApiError::invalid("statement", "is required"));
        };
        let ids = v.check(
            "statement.name",
            names::parse_child(&given.name, "statements"),
        );
        let variants = variants_field(&mut v, given.variants);
        let etag = etag_field(&mut v, "statement.etag", &given.etag, false);
        v.into_result()?;
        let (Some((crisis_id, id)), Some(variants), Some(etag)) = (ids, variants, etag) else {
            return Err(ApiError::Internal);
        };

        let now = self.clock.now();
        let actor = caller.acting_subject();
        let mut tx = self.pool.begin().await?;
        let head = open_crisis(&mut tx, crisis_id).await?;
        let current = locked_statement(&mut tx, crisis_id, id, &given.name).await?;
        if current.state != StatementState::Draft {
            return Err(not_draft(&current));
        }
        check_etag(etag, &current)?;
        let statement = store::update_draft(&mut tx, id, &variants, given.critical, now).await?;
        record(
            &mut tx,
            &head,
            &statement,
            "statement_updated",
            "Changed",
            actor,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(pb::UpdateStatementResponse {
            statement: Some(to_wire(&statement)),
        })
    }

    pub(super) async fn approve_statement(
        &self,
        caller: &Caller,
        request: pb::ApproveStatementRequest,
    ) -> Result<pb::ApproveStatementResponse, ApiError> {
        let pb::ApproveStatementRequest { name, etag } = request;
        let mut v = FieldViolations::new();
        let ids = v.check("name", names::parse_child(&name, "statements"));
        let etag = etag_field(&mut v, "etag", &etag, true);
        v.into_result()?;
        let (Some((crisis_id, id)), Some(etag)) = (ids, etag) else {
            return Err(ApiError::Internal);
        };

        let now = self.clock.now();
        let actor = caller.acting_subject();
        let mut tx = self.pool.begin().await?;
        let head = open_crisis(&mut tx, crisis_id).await?;
        let current = locked_statement(&mut tx, crisis_id, id, &name).await?;
        if current.state != StatementState::Draft {
            return Err(not_draft(&current));
        }
        let spokespeople = store::spokespeople(&mut tx, crisis_id).await?;
        if spokespeople.is_empty() {
            return Err(ApiError::FailedPrecondition {
                reason: "SPOKESPERSON_MISSING",
                message: "the crisis has no spokesperson to approve statements; name one first"
                    .into(),
                allowed: vec!["AssignCrisisRole(spokesperson)".into()],
            });
        }
        if !spokespeople.iter().any(|s| s == actor) {
            return Err(ApiError::PermissionDenied {
                reason: "NOT_SPOKESPERSON",
                message: "only the crisis's spokesperson approves its statements".into(),
            });
        }
        check_etag(etag, &current)?;
        let statement = store::approve(&mut tx, id, actor, now).await?;
        AuditEntry::by(
            caller,
            audit::STATEMENT_APPROVED,
            "ApproveStatement",
            &name,
            now,
        )
        .detail("audience", statement.audience.code())
        .detail("sequence", statement.sequence)
        .record(&mut tx)
        .await?;
        record(
            &mut tx,
            &head,
            &statement,
            "statement_approved",
            "Approved",
            actor,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ApproveStatementResponse {
            statement: Some(to_wire(&statement)),
        })
    }

    pub(super) async fn release_statement(
        &self,
        caller: &Caller,
        request: pb::ReleaseStatementRequest,
    ) -> Result<pb::ReleaseStatementResponse, ApiError> {
        let (crisis_id, id) = names::parse_child(&request.name, "statements")
            .map_err(|e| ApiError::invalid("name", e.to_string()))?;
        let actor = caller.acting_subject();

        // What is to be sent, read before sending (nothing is held locked
        // while the notifications service is called).
        let (head, current) = {
            let mut conn = self.pool.acquire().await?;
            let head = known_crisis(&mut conn, crisis_id).await?;
            let current = store::get(&mut conn, crisis_id, id, false)
                .await?
                .ok_or_else(|| ApiError::not_found("Statement", request.name.clone()))?;
            (head, current)
        };
        match current.state {
            StatementState::Released => {
                return Ok(pb::ReleaseStatementResponse {
                    statement: Some(to_wire(&current)),
                });
            }
            StatementState::Draft => {
                return Err(ApiError::FailedPrecondition {
                    reason: "STATEMENT_NOT_APPROVED",
                    message:
                        "only an approved statement is released; the spokesperson approves it first"
                            .into(),
                    allowed: StatementState::Draft.allowed(),
                });
            }
            StatementState::Approved => {}
        }
        if head.is_closed() {
            return Err(closed());
        }
        let delivery = domain::delivery(current.audience, head.drill);
        if delivery == domain::Delivery::AffectedCustomers {
            let mut conn = self.pool.acquire().await?;
            if !has_affected_customers(&mut conn, crisis_id).await? {
                return Err(ApiError::FailedPrecondition {
                    reason: "NO_AFFECTED_CUSTOMERS",
                    message: "the crisis has no affected customers to tell yet".into(),
                    allowed: vec!["LinkAffectedCustomers".into()],
                });
            }
        }
        let published = publication::publish(
            caller,
            &self.pool,
            &self.directories,
            &self.settings.statements,
            &current,
            delivery,
        )
        .await?;

        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let head = open_crisis(&mut tx, crisis_id).await?;
        let current = locked_statement(&mut tx, crisis_id, id, &request.name).await?;
        if current.state == StatementState::Released {
            return Ok(pb::ReleaseStatementResponse {
                statement: Some(to_wire(&current)),
            });
        }
        let statement = store::release(
            &mut tx,
            id,
            actor,
            &published.deliveries,
            published.recipient_count,
            now,
        )
        .await?;
        if statement.audience.is_customers() {
            store::mark_customer_statement(&mut tx, crisis_id, now).await?;
        }
        AuditEntry::by(
            caller,
            audit::STATEMENT_RELEASED,
            "ReleaseStatement",
            statement_name(&statement),
            now,
        )
        .detail("audience", statement.audience.code())
        .detail("sequence", statement.sequence)
        .detail("recipient_count", statement.recipient_count)
        .detail("drill", head.drill)
        .record(&mut tx)
        .await?;
        timeline::append(
            &mut tx,
            crisis_id,
            now,
            NewEntry {
                kind: "statement_released",
                actor,
                summary: format!(
                    "Released statement {} to {} ({} recipients{})",
                    statement.sequence,
                    statement.audience.code().replace('_', " "),
                    statement.recipient_count,
                    if head.drill { ", drill: team only" } else { "" }
                ),
                details: [
                    ("statement".to_owned(), statement_name(&statement)),
                    ("audience".to_owned(), statement.audience.code().to_owned()),
                    ("deliveries".to_owned(), statement.deliveries.join(",")),
                ]
                .into(),
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::STATEMENT_RELEASED,
                crisis_id,
                &head.codes(),
                now,
                json!({
                    "statement": statement_name(&statement),
                    "audience": statement.audience.code(),
                    "sequence": statement.sequence,
                    "critical": statement.critical,
                    "deliveries": statement.deliveries,
                    "recipient_count": statement.recipient_count,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(pb::ReleaseStatementResponse {
            statement: Some(to_wire(&statement)),
        })
    }

    pub(super) async fn get_statement(
        &self,
        _caller: &Caller,
        request: pb::GetStatementRequest,
    ) -> Result<pb::GetStatementResponse, ApiError> {
        let (crisis_id, id) = names::parse_child(&request.name, "statements")
            .map_err(|e| ApiError::invalid("name", e.to_string()))?;
        let mut conn = self.pool.acquire().await?;
        let statement = store::get(&mut conn, crisis_id, id, false)
            .await?
            .ok_or_else(|| ApiError::not_found("Statement", request.name.clone()))?;
        Ok(pb::GetStatementResponse {
            statement: Some(to_wire(&statement)),
        })
    }

    pub(super) async fn list_statements(
        &self,
        _caller: &Caller,
        request: pb::ListStatementsRequest,
    ) -> Result<pb::ListStatementsResponse, ApiError> {
        let pb::ListStatementsRequest {
            parent,
            page_size,
            page_token,
        } = request;
        let mut v = FieldViolations::new();
        let crisis_id = v.check("parent", names::parse_crisis(&parent));
        let fingerprint = Fingerprint::of(
            "ListStatements",
            &[crisis_id.unwrap_or_default().as_bytes()],
        );
        let (size, after) = page_args(&mut v, page_size, &page_token, fingerprint);
        v.into_result()?;
        let (Some(crisis_id), Some(size)) = (crisis_id, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|c| decode_time_id(&c)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, crisis_id).await?;
        let rows = store::list(&mut conn, crisis_id, after, i64::from(size) + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fingerprint, |s| {
            page::encode_time_id(s.create_time, s.id)
        });
        Ok(pb::ListStatementsResponse {
            statements: rows.iter().map(to_wire).collect(),
            next_page_token,
        })
    }

    pub(super) async fn record_regulator_report(
        &self,
        caller: &Caller,
        request: pb::RecordRegulatorReportRequest,
    ) -> Result<pb::RecordRegulatorReportResponse, ApiError> {
        let fp = idempotency::fingerprint_of(&request, |r| r.request_id.clear());
        let pb::RecordRegulatorReportRequest {
            parent,
            report,
            request_id,
        } = request;
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let crisis_id = v.check("parent", names::parse_crisis(&parent));
        let request_id = idempotency::request_id_field(&mut v, &request_id);
        let Some(report) = report else {
            v.add("report", "is required");
            return Err(v.into_result().err().unwrap_or(ApiError::Internal));
        };
        let pb::RegulatorReport {
            name: _,
            regulator,
            report_time,
            channel,
            content,
            statement,
            reference,
            recorded_by: _,
            create_time: _,
        } = report;
        v.check("report.regulator", check_text(&regulator, MAX_SHORT));
        v.check("report.content", check_text(&content, MAX_REPORT));
        if channel.chars().count() > MAX_SHORT {
            v.add(
                "report.channel",
                format!("is longer than {MAX_SHORT} characters"),
            );
        }
        if reference.chars().count() > MAX_SHORT {
            v.add(
                "report.reference",
                format!("is longer than {MAX_SHORT} characters"),
            );
        }
        let report_time = match report_time {
            None => {
                v.add("report.report_time", "is required");
                None
            }
            Some(t) => v
                .check("report.report_time", wire::from_timestamp(&t))
                .and_then(|t| {
                    if t > now {
                        v.add("report.report_time", "must not be in the future");
                        None
                    } else {
                        Some(t)
                    }
                }),
        };
        let statement_id = if statement.is_empty() {
            None
        } else {
            match v.check(
                "report.statement",
                names::parse_child(&statement, "statements"),
            ) {
                Some((of, id)) if Some(of) == crisis_id => Some(id),
                Some(_) => {
                    v.add("report.statement", "must be a statement of this crisis");
                    None
                }
                None => None,
            }
        };
        v.into_result()?;
        let (Some(crisis_id), Some(report_time)) = (crisis_id, report_time) else {
            return Err(ApiError::Internal);
        };

        let actor = caller.acting_subject();
        let mut tx = self.pool.begin().await?;
        let claim = Claim::take(
            &mut tx,
            "RecordRegulatorReport",
            request_id,
            &caller.subject,
            &fp,
        )
        .await?;
        if let Claim::Replay(answer) = claim {
            return replay(&answer);
        }
        let head = open_crisis(&mut tx, crisis_id).await?;
        if let Some(id) = statement_id
            && store::get(&mut tx, crisis_id, id, false).await?.is_none()
        {
            return Err(ApiError::not_found("Statement", statement));
        }
        let report = RegulatorReport {
            id: Uuid::now_v7(),
            crisis_id,
            regulator,
            report_time,
            channel,
            content,
            statement_id,
            reference,
            recorded_by: actor.to_owned(),
            create_time: now,
        };
        store::insert_report(&mut tx, &report).await?;
        let name = names::child(crisis_id, "regulatorReports", report.id);
        AuditEntry::by(
            caller,
            audit::REGULATOR_REPORT_RECORDED,
            "RecordRegulatorReport",
            &name,
            now,
        )
        .detail("crisis", names::crisis(crisis_id))
        .record(&mut tx)
        .await?;
        timeline::append(
            &mut tx,
            crisis_id,
            now,
            NewEntry {
                kind: "regulator_reported",
                actor,
                summary: "Recorded a report to a regulator".into(),
                details: [("report".to_owned(), name.clone())].into(),
            },
        )
        .await?;
        outbox::append(
            &mut tx,
            events::about_crisis(
                types::REGULATOR_REPORTED,
                crisis_id,
                &head.codes(),
                now,
                json!({
                    "report": name,
                    "statement": statement_id.map(|s| names::child(crisis_id, "statements", s)),
                }),
            ),
        )
        .await?;
        let response = pb::RecordRegulatorReportResponse {
            report: Some(report_to_wire(&report)),
        };
        claim.finish(&mut tx, &response.encode_to_vec()).await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(super) async fn list_regulator_reports(
        &self,
        _caller: &Caller,
        request: pb::ListRegulatorReportsRequest,
    ) -> Result<pb::ListRegulatorReportsResponse, ApiError> {
        let pb::ListRegulatorReportsRequest {
            parent,
            page_size,
            page_token,
        } = request;
        let mut v = FieldViolations::new();
        let crisis_id = v.check("parent", names::parse_crisis(&parent));
        let fingerprint = Fingerprint::of(
            "ListRegulatorReports",
            &[crisis_id.unwrap_or_default().as_bytes()],
        );
        let (size, after) = page_args(&mut v, page_size, &page_token, fingerprint);
        v.into_result()?;
        let (Some(crisis_id), Some(size)) = (crisis_id, size) else {
            return Err(ApiError::Internal);
        };
        let after = after.map(|c| decode_time_id(&c)).transpose()?;
        let mut conn = self.pool.acquire().await?;
        known_crisis(&mut conn, crisis_id).await?;
        let rows = store::list_reports(&mut conn, crisis_id, after, i64::from(size) + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fingerprint, |r| {
            page::encode_time_id(r.report_time, r.id)
        });
        Ok(pb::ListRegulatorReportsResponse {
            reports: rows.iter().map(report_to_wire).collect(),
            next_page_token,
        })
    }
}

/// Reads a required audience.
fn audience_field(v: &mut FieldViolations, wire: i32) -> Option<Audience> {
    let audience = match pb::Audience::try_from(wire) {
        Ok(pb::Audience::Unspecified) => {
            v.add("statement.audience", "is required");
            return None;
        }
        Ok(pb::Audience::AffectedCustomers) => Audience::AffectedCustomers,
        Ok(pb::Audience::AllCustomers) => Audience::AllCustomers,
        Ok(pb::Audience::Employees) => Audience::Employees,
        Ok(pb::Audience::Regulators) => Audience::Regulators,
        Ok(pb::Audience::Media) => Audience::Media,
        Ok(pb::Audience::Partners) => Audience::Partners,
        Err(_) => {
            v.add("statement.audience", redress_platform::wire::UNKNOWN);
            return None;
        }
    };
    Some(audience)
}

fn audience_wire(audience: Audience) -> i32 {
    let wire = match audience {
        Audience::AffectedCustomers => pb::Audience::AffectedCustomers,
        Audience::AllCustomers => pb::Audience::AllCustomers,
        Audience::Employees => pb::Audience::Employees,
        Audience::Regulators => pb::Audience::Regulators,
        Audience::Media => pb::Audience::Media,
        Audience::Partners => pb::Audience::Partners,
    };
    wire as i32
}

/// Reads the variants, one violation per bad field.
fn variants_field(v: &mut FieldViolations, given: Vec<pb::StatementVariant>) -> Option<Variants> {
    let variants = given
        .into_iter()
        .map(
            |pb::StatementVariant {
                 locale,
                 headline,
                 body,
             }| Variant {
                locale,
                headline,
                body,
            },
        )
        .collect();
    match Variants::parse(variants) {
        Ok(variants) => Some(variants),
        Err(problems) => {
            for (field, why) in problems {
                v.add(format!("statement.{field}"), why);
            }
            None
        }
    }
}

/// Reads an etag (the version as a number): `Some(None)` when empty and
/// not required.
fn etag_field(
    v: &mut FieldViolations,
    field: &str,
    etag: &str,
    required: bool,
) -> Option<Option<i64>> {
    if etag.is_empty() {
        if required {
            v.add(field, "is required: the etag of the draft read");
            return None;
        }
        return Some(None);
    }
    match etag.parse::<i64>() {
        Ok(version) => Some(Some(version)),
        Err(_) => {
            v.add(field, "is not an etag of this service");
            None
        }
    }
}

fn check_etag(etag: Option<i64>, current: &Statement) -> Result<(), ApiError> {
    match etag {
        Some(version) if version != current.version => Err(ApiError::Aborted {
            reason: "ETAG_MISMATCH",
            message: "the statement changed since it was read; read it again".into(),
        }),
        _ => Ok(()),
    }
}

fn not_draft(current: &Statement) -> ApiError {
    ApiError::FailedPrecondition {
        reason: "STATEMENT_NOT_DRAFT",
        message: format!(
            "the statement is {} and no longer changes",
            current.state.code()
        ),
        allowed: current.state.allowed(),
    }
}

async fn locked_statement(
    conn: &mut PgConnection,
    crisis: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Statement, ApiError> {
    store::get(conn, crisis, id, true)
        .await?
        .ok_or_else(|| ApiError::not_found("Statement", name.to_owned()))
}

async fn has_affected_customers(conn: &mut PgConnection, crisis: Uuid) -> Result<bool, ApiError> {
    let any: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM affected_customers WHERE crisis_id = $1)")
            .bind(crisis)
            .fetch_one(&mut *conn)
            .await?;
    Ok(any)
}

/// Records a statement's change on the timeline and the feed.
async fn record(
    conn: &mut PgConnection,
    head: &Head,
    statement: &Statement,
    kind: &str,
    verb: &str,
    actor: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    let name = statement_name(statement);
    timeline::append(
        conn,
        head.id,
        now,
        NewEntry {
            kind,
            actor,
            summary: format!(
                "{verb} statement {} to {}",
                statement.sequence,
                statement.audience.code().replace('_', " ")
            ),
            details: [
                ("statement".to_owned(), name.clone()),
                ("audience".to_owned(), statement.audience.code().to_owned()),
                ("state".to_owned(), statement.state.code().to_owned()),
            ]
            .into(),
        },
    )
    .await?;
    outbox::append(
        conn,
        events::about_crisis(
            types::STATEMENT_CHANGED,
            head.id,
            &head.codes(),
            now,
            json!({
                "statement": name,
                "audience": statement.audience.code(),
                "state": statement.state.code(),
                "sequence": statement.sequence,
            }),
        ),
    )
    .await?;
    Ok(())
}

fn statement_name(s: &Statement) -> String {
    names::child(s.crisis_id, "statements", s.id)
}

fn to_wire(s: &Statement) -> pb::Statement {
    pb::Statement {
        name: statement_name(s),
        audience: audience_wire(s.audience),
        variants: s
            .variants
            .as_slice()
            .iter()
            .map(|v| pb::StatementVariant {
                locale: v.locale.clone(),
                headline: v.headline.clone(),
                body: v.body.clone(),
            })
            .collect(),
        critical: s.critical,
        state: match s.state {
            StatementState::Draft => pb::StatementState::Draft,
            StatementState::Approved => pb::StatementState::Approved,
            StatementState::Released => pb::StatementState::Released,
        } as i32,
        sequence: s.sequence,
        author: s.author.clone(),
        approved_by: s.approved_by.clone(),
        approve_time: timestamp_opt(s.approve_time),
        released_by: s.released_by.clone(),
        release_time: timestamp_opt(s.release_time),
        deliveries: s.deliveries.clone(),
        recipient_count: s.recipient_count,
        create_time: Some(timestamp(s.create_time)),
        update_time: Some(timestamp(s.update_time)),
        etag: s.version.to_string(),
    }
}

fn report_to_wire(r: &RegulatorReport) -> pb::RegulatorReport {
    pb::RegulatorReport {
        name: names::child(r.crisis_id, "regulatorReports", r.id),
        regulator: r.regulator.clone(),
        report_time: Some(timestamp(r.report_time)),
        channel: r.channel.clone(),
        content: r.content.clone(),
        statement: r
            .statement_id
            .map(|s| names::child(r.crisis_id, "statements", s))
            .unwrap_or_default(),
        reference: r.reference.clone(),
        recorded_by: r.recorded_by.clone(),
        create_time: Some(timestamp(r.create_time)),
    }
}
