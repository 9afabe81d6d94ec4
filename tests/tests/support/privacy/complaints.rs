//! The complaints service, intake and ownership: complaints taken in,
//! handed off, declined, accepted, reassigned, assisted and noted.

use redress_proto::complaints::v1 as pb;

use super::{Cast, Markers, request_id};

/// Takes a complaint in for `customer` with markers in its free text.
pub(crate) async fn take_in(
    cast: &mut Cast,
    m: &mut Markers,
    customer: &str,
) -> Result<String, tonic::Status> {
    cast.front
        .create_complaint(pb::CreateComplaintRequest {
            complaint: Some(pb::Complaint {
                customer: customer.to_owned(),
                channel: pb::Channel::Phone.into(),
                kind: pb::ComplaintKind::Complaint.into(),
                summary: m.text("complaintsummary"),
                description: m.text("complaintdescription"),
                requested_remedy: m.text("requestedremedy"),
                category: "too_slow/late_delivery".into(),
                severity: pb::Severity::Medium.into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().complaint.expect("a complaint").name)
}

/// Ownership: offered to agent-2 who declines, offered to billing where
/// bill-3 accepts, reassigned back to agent-1 by a supervisor; an assist
/// asked of logistics and answered; notes inside and to the customer.
pub(crate) async fn change_hands(cast: &mut Cast, m: &mut Markers, complaint: &str) {
    let offer = cast
        .front
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: complaint.to_owned(),
            target: Some(pb::hand_off_complaint_request::Target::ToAgent(
                "agent-2".into(),
            )),
            reason: m.text("handoffreason"),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("offered to agent-2")
        .into_inner()
        .hand_off
        .expect("an offer");
    cast.agent2
        .decline_hand_off(pb::DeclineHandOffRequest {
            name: offer.name,
            reason: m.text("declinereason"),
            request_id: request_id(),
        })
        .await
        .expect("declined");
    let offer = cast
        .front
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: complaint.to_owned(),
            target: Some(pb::hand_off_complaint_request::Target::ToTeam(
                "teams/billing".into(),
            )),
            reason: m.text("handoffreasontwo"),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("offered to billing")
        .into_inner()
        .hand_off
        .expect("an offer");
    cast.billing
        .accept_hand_off(pb::AcceptHandOffRequest {
            name: offer.name,
            request_id: request_id(),
        })
        .await
        .expect("accepted");
    // The supervisor reassigns within their scope: they supervise billing,
    // which now owns the complaint, and lead their own team, front.
    cast.complaints_admin
        .create_team(pb::CreateTeamRequest {
            team_id: "billing".into(),
            team: Some(pb::Team {
                display_name: "Billing".into(),
                supervisor: "lead-1".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("the billing team is set up");
    cast.supervisor
        .reassign_complaint(pb::ReassignComplaintRequest {
            name: complaint.to_owned(),
            new_owner: "agent-1".into(),
            new_team: "teams/front".into(),
            reason: m.text("reassignreason"),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect("reassigned");

    let assist = cast
        .front
        .request_assist(pb::RequestAssistRequest {
            parent: complaint.to_owned(),
            assist: Some(pb::Assist {
                department: "teams/logistics".into(),
                question: m.text("assistquestion"),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("an assist")
        .into_inner()
        .assist
        .expect("an assist");
    cast.logistics
        .answer_assist(pb::AnswerAssistRequest {
            name: assist.name,
            answer: m.text("assistanswer"),
            request_id: request_id(),
        })
        .await
        .expect("answered");
    for (visibility, field) in [
        (pb::NoteVisibility::Internal, "internalnote"),
        (pb::NoteVisibility::Customer, "customernote"),
    ] {
        cast.front
            .add_complaint_note(pb::AddComplaintNoteRequest {
                parent: complaint.to_owned(),
                note: Some(pb::Note {
                    visibility: visibility.into(),
                    body: m.text(field),
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .expect("a note");
    }
}
