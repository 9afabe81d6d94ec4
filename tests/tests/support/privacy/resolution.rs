//! The complaints service, resolution and recovery: investigated with a
//! question to the customer, resolutions rejected and accepted, goodwill
//! given, cancelled and refused, the survey answered, recovery steps, an
//! improvement, closed, followed up and reopened.

use redress_proto::complaints::v1 as pb;

use super::{Cast, Complaints, Markers, eventually, money, request_id};

/// Resolution: acknowledged, investigated with a question to the customer,
/// a resolution rejected and another accepted, goodwill given, cancelled
/// and refused, the survey answered, every recovery step recorded, an
/// improvement filed, closed, the follow-up completed, reopened.
pub(crate) async fn resolve_and_follow_up(cast: &mut Cast, m: &mut Markers, complaint: &str) {
    let name = || complaint.to_owned();
    let front = &mut cast.front;
    front
        .acknowledge_complaint(pb::AcknowledgeComplaintRequest {
            name: name(),
            ..Default::default()
        })
        .await
        .expect("acknowledged");
    front
        .start_investigation(pb::StartInvestigationRequest {
            name: name(),
            ..Default::default()
        })
        .await
        .expect("investigating");
    front
        .await_customer(pb::AwaitCustomerRequest {
            name: name(),
            question: m.text("questiontocustomer"),
            ..Default::default()
        })
        .await
        .expect("awaiting the customer");
    front
        .resume_investigation(pb::ResumeInvestigationRequest {
            name: name(),
            customer_answer: m.text("customeranswer"),
            ..Default::default()
        })
        .await
        .expect("resumed");
    front
        .propose_resolution(pb::ProposeResolutionRequest {
            name: name(),
            resolution: m.text("rejectedresolution"),
            ..Default::default()
        })
        .await
        .expect("a resolution proposed");
    front
        .reject_resolution(pb::RejectResolutionRequest {
            name: name(),
            reason: m.text("resolutionrejection"),
            ..Default::default()
        })
        .await
        .expect("the customer rejects it");
    front
        .propose_resolution(pb::ProposeResolutionRequest {
            name: name(),
            resolution: m.text("resolution"),
            ..Default::default()
        })
        .await
        .expect("another resolution proposed");

    let goodwill = |kind: pb::GoodwillKind, units: i64, field: &str, m: &mut Markers| {
        pb::ProposeGoodwillRequest {
            parent: name(),
            goodwill: Some(pb::Goodwill {
                kind: kind.into(),
                amount: money(units),
                fault: pb::GoodwillFault::Unclear.into(),
                description: m.text(field),
                ..Default::default()
            }),
            request_id: request_id(),
        }
    };
    let given = front
        .propose_goodwill(goodwill(
            pb::GoodwillKind::Refund,
            8,
            "goodwilldescription",
            m,
        ))
        .await
        .expect("goodwill in good faith")
        .into_inner()
        .goodwill
        .expect("goodwill");
    front
        .fulfil_goodwill(pb::FulfilGoodwillRequest {
            name: given.name,
            payment_reference: m.text("paymentreference"),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("goodwill given");
    let cancelled = front
        .propose_goodwill(goodwill(
            pb::GoodwillKind::Voucher,
            5,
            "cancelledgoodwill",
            m,
        ))
        .await
        .expect("more goodwill")
        .into_inner()
        .goodwill
        .expect("goodwill");
    front
        .cancel_goodwill(pb::CancelGoodwillRequest {
            name: cancelled.name,
            reason: m.text("goodwillcancellation"),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("goodwill cancelled");
    let large = front
        .propose_goodwill(goodwill(
            pb::GoodwillKind::Refund,
            5_000,
            "largegoodwill",
            m,
        ))
        .await
        .expect("goodwill beyond good faith")
        .into_inner()
        .goodwill
        .expect("goodwill");
    cast.supervisor
        .reject_goodwill(pb::RejectGoodwillRequest {
            name: large.name,
            reason: m.text("goodwillrejection"),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("goodwill refused");

    let front = &mut cast.front;
    front
        .accept_resolution(pb::AcceptResolutionRequest {
            name: name(),
            root_cause: Some(pb::RootCause {
                category: "supplier".into(),
                detail: m.text("rootcause"),
            }),
            ..Default::default()
        })
        .await
        .expect("resolved");
    answer_survey(&mut cast.front_end, m).await;

    for step in [
        pb::RecoveryStep::Apology,
        pb::RecoveryStep::Fix,
        pb::RecoveryStep::Contact,
        pb::RecoveryStep::SharedWithStaff,
    ] {
        cast.front
            .record_recovery_step(pb::RecordRecoveryStepRequest {
                name: name(),
                step: step.into(),
                channel: pb::RecoveryChannel::Phone.into(),
                note: m.text("recoverynote"),
                etag: String::new(),
                request_id: request_id(),
            })
            .await
            .unwrap_or_else(|status| panic!("{step:?} recorded: {status:?}"));
    }
    cast.front
        .create_improvement_action(pb::CreateImprovementActionRequest {
            improvement_action: Some(pb::ImprovementAction {
                title: m.text("improvementtitle"),
                description: m.text("improvementdescription"),
                owner: "ops-lead".into(),
                due_time: Some(prost_types::Timestamp {
                    seconds: jiff::Timestamp::now().as_second() + 30 * 86_400,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            complaints: vec![name()],
            request_id: request_id(),
        })
        .await
        .expect("an improvement action");
    cast.front
        .close_complaint(pb::CloseComplaintRequest {
            name: name(),
            ..Default::default()
        })
        .await
        .expect("closed");

    let due = eventually("the follow-up in the owner's queue", || {
        let mut front = cast.front.clone();
        async move {
            front
                .list_my_work(pb::ListMyWorkRequest::default())
                .await
                .ok()?
                .into_inner()
                .follow_ups_due
                .into_iter()
                .next()
        }
    })
    .await;
    cast.front
        .complete_follow_up(pb::CompleteFollowUpRequest {
            name: due.name,
            outcome: m.text("followupoutcome"),
            request_id: request_id(),
        })
        .await
        .expect("the follow-up is done");
    cast.front
        .reopen_complaint(pb::ReopenComplaintRequest {
            name: name(),
            reason: m.text("reopenreason"),
            ..Default::default()
        })
        .await
        .expect("reopened");
}

/// The customer answers the survey through the front end, with the code
/// the invitation event carries.
async fn answer_survey(front_end: &mut Complaints, m: &mut Markers) {
    let token = eventually("the survey invitation event", || {
        let mut front_end = front_end.clone();
        async move {
            let events = front_end
                .list_complaint_events(pb::ListComplaintEventsRequest {
                    after_position: 0,
                    page_size: 1000,
                    types: vec!["complaint.survey_invited".into()],
                })
                .await
                .ok()?
                .into_inner()
                .events;
            let payload: serde_json::Value = serde_json::from_str(&events.first()?.payload).ok()?;
            payload["survey_token"].as_str().map(str::to_owned)
        }
    })
    .await;
    front_end
        .answer_survey(pb::AnswerSurveyRequest {
            survey_token: token,
            answer: Some(pb::SurveyAnswer {
                csat: 4,
                perceived_value: 7.0,
                expectation: 8.0,
                would_return: pb::WouldReturn::Unsure.into(),
                comment: m.text("surveycomment"),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("the survey is answered");
}
