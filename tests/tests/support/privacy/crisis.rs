//! The crisis part of the scenario: a crisis manager reports a social-media
//! signal about the complaint, declares a crisis from it, and writes a
//! timeline note and a status report. Everything free about them is marked:
//! a note or a report may well name a customer. A signal without a summary
//! is refused, with a marked source beside it, so the error path is walked
//! too.

use redress_platform::auth::Role;
use redress_proto::crisis::v1 as xpb;

use super::{Intercepted, Markers, channel, request_id};
use crate::support::Suite;

type Crises = xpb::crisis_service_client::CrisisServiceClient<Intercepted>;

/// Runs the crisis part about `complaint`.
pub(crate) async fn respond(suite: &Suite, m: &mut Markers, complaint: &str) {
    let mut crises: Crises = xpb::crisis_service_client::CrisisServiceClient::with_interceptor(
        channel(&suite.crisis_endpoint),
        suite.bearer("cm-1", &[Role::CrisisManager], None),
    );

    crises
        .report_signal(xpb::ReportSignalRequest {
            signal_channel: xpb::SignalChannel::SocialMedia as i32,
            summary: m.text("SignalSummary"),
            source_uri: format!("https://social.example/{}", m.text("SignalSource")),
            complaints: vec![complaint.to_owned()],
            request_id: request_id(),
        })
        .await
        .expect("a signal reported");
    let refused = crises
        .report_signal(xpb::ReportSignalRequest {
            signal_channel: xpb::SignalChannel::Press as i32,
            summary: String::new(),
            source_uri: format!("https://press.example/{}", m.text("RefusedSignalSource")),
            complaints: Vec::new(),
            request_id: request_id(),
        })
        .await
        .expect_err("a signal needs a summary");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");

    let crisis = crises
        .declare_crisis(xpb::DeclareCrisisRequest {
            crisis: Some(xpb::Crisis {
                title: m.text("CrisisTitle"),
                r#type: "service_quality".into(),
                likelihood: 3,
                impact: 3,
                ..Default::default()
            }),
            origin: Some(xpb::declare_crisis_request::Origin::Complaint(
                complaint.to_owned(),
            )),
            commander: String::new(),
            request_id: request_id(),
        })
        .await
        .expect("a crisis declared from the complaint")
        .into_inner()
        .crisis
        .expect("the crisis");
    crises
        .add_timeline_note(xpb::AddTimelineNoteRequest {
            crisis: crisis.name.clone(),
            text: m.text("TimelineNote"),
            request_id: request_id(),
        })
        .await
        .expect("a timeline note");
    crises
        .create_status_report(xpb::CreateStatusReportRequest {
            parent: crisis.name,
            status_report: Some(xpb::StatusReport {
                conditions: m.text("StatusConditions"),
                actions: m.text("StatusActions"),
                needs: m.text("StatusNeeds"),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("a status report");
}
