//! Warnings through the API: list (newest first, by state) and get; staff
//! report signals seen outside (social media, press, a regulator, a
//! partner) as warnings, never deduplicated and safe to retry by
//! `request_id`; people dismiss (with a reason), watch or snooze a warning
//! along the steps `domain::warning` allows, each an optional etag check
//! and a `warning.changed` event in one transaction. Escalation is the
//! crises area's (DeclareCrisis); here an escalated warning only refuses.
//! Warnings belong to no crisis, so they have no timeline entries.

use jiff::Timestamp;
use redress_platform::auth::Caller;
use redress_platform::error::{ApiError, FieldViolations};
use redress_platform::idempotency::{self, Claim};
use redress_platform::outbox;
use redress_platform::page::{self, Fingerprint};
use redress_platform::wire::{self, WireEnum};
use redress_proto::crisis::v1 as pb;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::CrisisApi;
use crate::domain::early_warning::Dimension;
use crate::domain::warning::{
    self, Action, Detection, Evidence, MAX_COMPLAINTS, SignalChannel, WarningSource, WarningState,
};
use crate::early_warning::raise;
use crate::events::{self, types};
use crate::names;
use crate::store::warnings::{self as store, Warning};

impl WireEnum for WarningState {
    type Wire = pb::WarningState;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (WarningState::Open, pb::WarningState::Open),
        (WarningState::Watched, pb::WarningState::Watched),
        (WarningState::Snoozed, pb::WarningState::Snoozed),
        (WarningState::Dismissed, pb::WarningState::Dismissed),
        (WarningState::Escalated, pb::WarningState::Escalated),
    ];
}

impl WireEnum for WarningSource {
    type Wire = pb::WarningSource;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (WarningSource::Spike, pb::WarningSource::Spike),
        (
            WarningSource::CriticalComplaints,
            pb::WarningSource::CriticalComplaints,
        ),
        (WarningSource::Churn, pb::WarningSource::Churn),
        (WarningSource::StaffReport, pb::WarningSource::StaffReport),
    ];
}

impl WireEnum for SignalChannel {
    type Wire = pb::SignalChannel;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (SignalChannel::SocialMedia, pb::SignalChannel::SocialMedia),
        (SignalChannel::Press, pb::SignalChannel::Press),
        (SignalChannel::Regulator, pb::SignalChannel::Regulator),
        (SignalChannel::Partner, pb::SignalChannel::Partner),
        (SignalChannel::Other, pb::SignalChannel::Other),
    ];
}

impl WireEnum for Dimension {
    type Wire = pb::SeriesDimension;
    const PAIRS: &'static [(Self, Self::Wire)] = &[
        (Dimension::Category, pb::SeriesDimension::Category),
        (Dimension::Product, pb::SeriesDimension::Product),
        (Dimension::Region, pb::SeriesDimension::Region),
    ];
}

/// The longest source link, in characters.
const MAX_URI: usize = 2000;

/// A stored warning as the wire shows it, as it stands at `now` (a snooze
/// that is over shows as open).
fn to_wire(w: &Warning, now: Timestamp) -> pb::Warning {
    let state = w.state.at(w.snooze_until, now);
    pb::Warning {
        name: names::warning(w.id),
        source: w.source.to_wire(),
        state: state.to_wire(),
        dedup_key: w.dedup_key.clone(),
        evidence: Some(evidence_to_wire(&w.evidence)),
        detection_count: w.detection_count,
        last_detect_time: Some(wire::timestamp(w.last_detect_time)),
        signal_channel: wire::to_wire_opt(w.signal_channel),
        summary: w.summary.clone(),
        source_uri: w.source_uri.clone(),
        actor: w.actor.clone(),
        dismiss_reason: w.dismiss_reason.clone(),
        snooze_until_time: if state == WarningState::Snoozed {
            wire::timestamp_opt(w.snooze_until)
        } else {
            None
        },
        crisis: w.crisis_id.map(names::crisis).unwrap_or_default(),
        create_time: Some(wire::timestamp(w.create_time)),
        update_time: Some(wire::timestamp(w.update_time)),
        etag: w.etag(),
    }
}

fn evidence_to_wire(e: &Evidence) -> pb::Evidence {
    let Evidence {
        dimension,
        series_value,
        window_start,
        window_end,
        count,
        baseline_mean,
        baseline_stddev,
        sample_complaints,
        detail,
    } = e;
    pb::Evidence {
        dimension: wire::to_wire_opt(*dimension),
        series_value: series_value.clone(),
        window_start_time: wire::timestamp_opt(*window_start),
        window_end_time: wire::timestamp_opt(*window_end),
        count: *count,
        baseline_mean: *baseline_mean,
        baseline_stddev: *baseline_stddev,
        sample_complaints: sample_complaints
            .iter()
            .map(|id| names::complaint(*id))
            .collect(),
        detail: detail.clone(),
    }
}

/// Parses a warning's name into `v`.
fn warning_id(v: &mut FieldViolations, name: &str) -> Option<Uuid> {
    v.check("name", names::parse_warning(name))
}

fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found("Warning", names::warning(id))
}

/// A staff report's complaint names, checked by shape.
fn complaints(v: &mut FieldViolations, given: &[String]) -> Vec<Uuid> {
    if given.len() > MAX_COMPLAINTS {
        v.add("complaints", "must name at most 10 complaints");
        return Vec::new();
    }
    let mut ids = Vec::new();
    for (i, name) in given.iter().enumerate() {
        if let Some(id) = v.check(format!("complaints[{i}]"), names::parse_complaint(name))
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    ids
}

/// A staff report's source link: optional, at most [`MAX_URI`] characters,
/// an absolute `http(s)` link.
fn source_uri(v: &mut FieldViolations, uri: &str) -> String {
    let uri = uri.trim();
    if uri.is_empty() {
        return String::new();
    }
    if uri.chars().count() > MAX_URI {
        v.add("source_uri", "must be at most 2000 characters");
    } else if !(uri.starts_with("https://") || uri.starts_with("http://"))
        || uri.chars().any(char::is_whitespace)
    {
        v.add("source_uri", "must be an http or https link");
    }
    uri.to_owned()
}

impl CrisisApi {
    pub(super) async fn list_warnings(
        &self,
        _caller: &Caller,
        r: pb::ListWarningsRequest,
    ) -> Result<pb::ListWarningsResponse, ApiError> {
        let mut v = FieldViolations::new();
        let mut states = Vec::new();
        for (i, raw) in v
            .bounded("states", &r.states, super::convert::MAX_FILTER_VALUES)
            .iter()
            .enumerate()
        {
            match WarningState::from_wire(*raw) {
                Ok(Some(state)) => {
                    if !states.contains(&state) {
                        states.push(state);
                    }
                }
                Ok(None) => v.add(format!("states[{i}]"), "must not be unspecified"),
                Err(e) => v.add(format!("states[{i}]"), e),
            }
        }
        let mut codes: Vec<&str> = states.iter().map(|s| s.code()).collect();
        codes.sort_unstable();
        let joined = codes.join(",");
        let fp = Fingerprint::of("ListWarnings", &[joined.as_bytes()]);
        let (size, after) = page::page_args(&mut v, r.page_size, &r.page_token, fp);
        v.into_result()?;
        let Some(size) = size else {
            return Err(ApiError::Internal);
        };
        let after = after
            .map(|bytes| page::decode_time_id(&bytes))
            .transpose()
            .map_err(|_| ApiError::invalid("page_token", "is not a token of this list"))?;
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let rows = store::list(&mut conn, &states, after, size + 1).await?;
        let (rows, next_page_token) = page::next_page(rows, size, fp, |w| {
            page::encode_time_id(w.create_time, w.id)
        });
        Ok(pb::ListWarningsResponse {
            warnings: rows.iter().map(|w| to_wire(w, now)).collect(),
            next_page_token,
        })
    }

    pub(super) async fn get_warning(
        &self,
        _caller: &Caller,
        r: pb::GetWarningRequest,
    ) -> Result<pb::GetWarningResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = warning_id(&mut v, &r.name);
        v.into_result()?;
        let Some(id) = id else {
            return Err(ApiError::Internal);
        };
        let mut conn = self.pool.acquire().await?;
        let w = store::get(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(pb::GetWarningResponse {
            warning: Some(to_wire(&w, self.clock.now())),
        })
    }

    pub(super) async fn report_signal(
        &self,
        caller: &Caller,
        r: pb::ReportSignalRequest,
    ) -> Result<pb::ReportSignalResponse, ApiError> {
        let mut v = FieldViolations::new();
        let channel = match SignalChannel::from_wire(r.signal_channel) {
            Ok(Some(channel)) => Some(channel),
            Ok(None) => {
                v.add("signal_channel", "is required");
                None
            }
            Err(e) => {
                v.add("signal_channel", e);
                None
            }
        };
        let summary = v.check("summary", warning::required_text(&r.summary));
        let uri = source_uri(&mut v, &r.source_uri);
        let complaints = complaints(&mut v, &r.complaints);
        let request_id = idempotency::request_id_field(&mut v, &r.request_id);
        v.into_result()?;
        let (Some(channel), Some(summary)) = (channel, summary) else {
            return Err(ApiError::Internal);
        };
        let fingerprint = idempotency::fingerprint_of(&r, |r| r.request_id.clear());
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let claim = Claim::take(
            &mut tx,
            "ReportSignal",
            request_id,
            &caller.subject,
            &fingerprint,
        )
        .await?;
        if let Claim::Replay(answer) = claim {
            return idempotency::replay(&answer);
        }
        let id = Uuid::now_v7();
        let mut w = raise::new_warning(
            Detection {
                source: WarningSource::StaffReport,
                dedup_key: warning::staff_key(id),
                evidence: Evidence {
                    sample_complaints: complaints,
                    detail: format!("reported from {}", channel.code()),
                    ..Evidence::default()
                },
            },
            now,
        );
        w.id = id;
        w.signal_channel = Some(channel);
        w.summary = summary;
        w.source_uri = uri;
        w.actor = caller.subject.clone();
        raise::open(&mut tx, &w).await?;
        let response = pb::ReportSignalResponse {
            warning: Some(to_wire(&w, now)),
        };
        claim
            .finish(&mut tx, &prost::Message::encode_to_vec(&response))
            .await?;
        tx.commit().await?;
        Ok(response)
    }

    pub(super) async fn dismiss_warning(
        &self,
        caller: &Caller,
        r: pb::DismissWarningRequest,
    ) -> Result<pb::DismissWarningResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = warning_id(&mut v, &r.name);
        let reason = v.check("reason", warning::required_text(&r.reason));
        v.into_result()?;
        let (Some(id), Some(reason)) = (id, reason) else {
            return Err(ApiError::Internal);
        };
        let w = self
            .act(caller, id, &r.etag, Action::Dismiss, |w| {
                w.dismiss_reason = reason;
                w.snooze_until = None;
            })
            .await?;
        Ok(pb::DismissWarningResponse { warning: Some(w) })
    }

    pub(super) async fn watch_warning(
        &self,
        caller: &Caller,
        r: pb::WatchWarningRequest,
    ) -> Result<pb::WatchWarningResponse, ApiError> {
        let mut v = FieldViolations::new();
        let id = warning_id(&mut v, &r.name);
        v.into_result()?;
        let Some(id) = id else {
            return Err(ApiError::Internal);
        };
        let w = self
            .act(caller, id, &r.etag, Action::Watch, |w| {
                w.snooze_until = None;
            })
            .await?;
        Ok(pb::WatchWarningResponse { warning: Some(w) })
    }

    pub(super) async fn snooze_warning(
        &self,
        caller: &Caller,
        r: pb::SnoozeWarningRequest,
    ) -> Result<pb::SnoozeWarningResponse, ApiError> {
        let now = self.clock.now();
        let mut v = FieldViolations::new();
        let id = warning_id(&mut v, &r.name);
        let until = match &r.snooze_until_time {
            None => {
                v.add("snooze_until_time", "is required");
                None
            }
            Some(t) => v
                .check("snooze_until_time", wire::from_timestamp(t))
                .and_then(|t| v.check("snooze_until_time", warning::snooze_until(t, now))),
        };
        v.into_result()?;
        let (Some(id), Some(until)) = (id, until) else {
            return Err(ApiError::Internal);
        };
        let w = self
            .act(caller, id, &r.etag, Action::Snooze, |w| {
                w.snooze_until = Some(until);
            })
            .await?;
        Ok(pb::SnoozeWarningResponse { warning: Some(w) })
    }

    /// Performs a person's `action` on warning `id` in one transaction: the
    /// etag check (when given), the state rule, `change`, the write and the
    /// `warning.changed` event.
    async fn act(
        &self,
        caller: &Caller,
        id: Uuid,
        etag: &str,
        action: Action,
        change: impl FnOnce(&mut Warning),
    ) -> Result<pb::Warning, ApiError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let before = lock(&mut tx, id).await?;
        if !etag.is_empty() {
            super::convert::check_etag(etag, before.version)?;
        }
        let from = before.state.at(before.snooze_until, now);
        let to = warning::act(from, action)?;
        let mut after = before.clone();
        after.state = to;
        after.actor = caller.subject.clone();
        change(&mut after);
        let after = store::update(&mut tx, &after, now).await?;
        outbox::append(
            &mut tx,
            events::about_warning(
                types::WARNING_CHANGED,
                after.id,
                after.source.code(),
                after.state.code(),
                now,
                json!({ "change": action_code(action), "from": from.code() }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(to_wire(&after, now))
    }
}

/// Locks a warning or says it is not there.
async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Warning, ApiError> {
    store::lock(conn, id).await?.ok_or_else(|| not_found(id))
}

fn action_code(action: Action) -> &'static str {
    match action {
        Action::Dismiss => "dismissed",
        Action::Watch => "watched",
        Action::Snooze => "snoozed",
        Action::Escalate => "escalated",
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staff_report_names_at_most_ten_complaints_of_the_right_shape() {
        let good = || format!("complaints/{}", Uuid::now_v7());
        let mut v = FieldViolations::new();
        assert_eq!(complaints(&mut v, &[good(), good()]).len(), 2);
        assert!(v.is_empty());

        let mut v = FieldViolations::new();
        complaints(&mut v, &[good(), "complaint/1".into()]);
        assert_eq!(v.violations()[0].field, "complaints[1]");

        let mut v = FieldViolations::new();
        complaints(&mut v, &vec![good(); 11]);
        assert_eq!(v.violations()[0].field, "complaints");
    }

    #[test]
    fn a_source_link_is_optional_but_a_link_when_given() {
        let mut v = FieldViolations::new();
        assert_eq!(source_uri(&mut v, ""), "");
        assert_eq!(
            source_uri(&mut v, "https://example.com/post/1"),
            "https://example.com/post/1"
        );
        assert!(v.is_empty());
        source_uri(&mut v, "javascript:alert(1)");
        source_uri(&mut v, &format!("https://{}", "a".repeat(MAX_URI)));
        assert_eq!(v.violations().len(), 2);
    }
}
