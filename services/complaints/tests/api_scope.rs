//! The team scope through the real server: agents see and act on the
//! complaints of their team, what they own or watch, and what is offered or
//! addressed to them; supervisors see the teams they supervise, department
//! heads the teams of their department; admins and crisis managers see all;
//! a service acting for a person has that person's scope. Outside the scope,
//! single reads and commands answer PERMISSION_DENIED (`OUTSIDE_TEAM`) and
//! lists leave the complaint out.

mod support;

use redress_platform::Secret;
use redress_platform::auth::{BearerInterceptor, Role};
use support::*;
use tonic::Code;

/// A complaint received by `billing-1` of team `billing`.
async fn billing_complaint(app: &TestApp) -> pb::Complaint {
    let customer = app.customer("Grace Hopper").await;
    let mut billing = app.client_as("billing-1", &[Role::Agent], Some("billing"));
    app.create_as(&mut billing, complaint(&customer)).await
}

/// Creates team `id` with `supervisor`, `department` and `head`.
async fn create_team(app: &TestApp, id: &str, supervisor: &str, department: &str, head: &str) {
    app.admin()
        .create_team(pb::CreateTeamRequest {
            team_id: id.into(),
            team: Some(pb::Team {
                display_name: id.into(),
                supervisor: supervisor.into(),
                department: department.into(),
                department_head: head.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("the team is created");
}

/// Whether `client` can read complaint `name`; panics on anything but a
/// read or an OUTSIDE_TEAM refusal.
async fn can_read(client: &mut Client, name: &str) -> bool {
    match client
        .get_complaint(pb::GetComplaintRequest { name: name.into() })
        .await
    {
        Ok(_) => true,
        Err(status) => {
            assert_status(&status, Code::PermissionDenied, "OUTSIDE_TEAM");
            false
        }
    }
}

/// The names `client` finds listing every complaint.
async fn listed(client: &mut Client) -> Vec<String> {
    client
        .list_complaints(pb::ListComplaintsRequest::default())
        .await
        .expect("a list")
        .into_inner()
        .complaints
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_of_another_team_can_neither_read_list_nor_act_on_a_complaint() {
    // Arrange
    let app = spawn_app().await;
    let theirs = billing_complaint(&app).await;
    let ours = app.received().await;
    let mut front = app.agent("agent-2");

    // Act
    let read = front
        .get_complaint(pb::GetComplaintRequest {
            name: theirs.name.clone(),
        })
        .await
        .expect_err("outside the team");
    let by_reference = front
        .get_complaint(pb::GetComplaintRequest {
            name: theirs.reference.clone(),
        })
        .await
        .expect_err("outside the team");
    let batch = front
        .batch_get_complaints(pb::BatchGetComplaintsRequest {
            names: vec![ours.name.clone(), theirs.name.clone()],
        })
        .await
        .expect_err("one is outside the team");
    let acted = front
        .add_complaint_note(pb::AddComplaintNoteRequest {
            parent: theirs.name.clone(),
            note: Some(pb::Note {
                visibility: pb::NoteVisibility::Internal.into(),
                body: "Looked at it".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("outside the team");
    let history = front
        .get_complaint_history(pb::GetComplaintHistoryRequest {
            name: theirs.name.clone(),
            ..Default::default()
        })
        .await
        .expect_err("outside the team");
    let list = listed(&mut front).await;

    // Assert
    for status in [&read, &by_reference, &batch, &acted, &history] {
        assert_status(status, Code::PermissionDenied, "OUTSIDE_TEAM");
        assert!(status.message().contains("hand"), "{status:?}");
    }
    assert_eq!(list, std::slice::from_ref(&ours.name));
    assert_eq!(app.count("complaint_notes").await, 0);
    assert!(can_read(&mut front, &ours.name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_earlier_owner_still_reads_a_complaint_that_moved_to_another_team() {
    // Arrange
    let app = spawn_app().await;
    let created = app.received().await;
    app.admin()
        .reassign_complaint(pb::ReassignComplaintRequest {
            name: created.name.clone(),
            new_owner: "billing-1".into(),
            new_team: "teams/billing".into(),
            reason: "a billing question".into(),
            ..Default::default()
        })
        .await
        .expect("reassigned");

    // Act
    let watcher = can_read(&mut app.agent("agent-1"), &created.name).await;
    let colleague = can_read(&mut app.agent("agent-2"), &created.name).await;
    let watcher_list = listed(&mut app.agent("agent-1")).await;

    // Assert
    assert!(watcher);
    assert!(!colleague);
    assert_eq!(watcher_list, [created.name]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_offered_a_hand_off_sees_the_complaint_until_it_is_decided() {
    // Arrange
    let app = spawn_app().await;
    let created = app.received().await;
    let mut billing = app.client_as("billing-2", &[Role::Agent], Some("billing"));
    let before = can_read(&mut billing, &created.name).await;

    // Act
    let offer = app
        .agent("agent-1")
        .hand_off_complaint(pb::HandOffComplaintRequest {
            name: created.name.clone(),
            target: Some(pb::hand_off_complaint_request::Target::ToTeam(
                "teams/billing".into(),
            )),
            reason: "A billing question".into(),
            ..Default::default()
        })
        .await
        .expect("offered")
        .into_inner()
        .hand_off
        .expect("an offer");
    let offered = can_read(&mut billing, &created.name).await;
    let accepted = billing
        .accept_hand_off(pb::AcceptHandOffRequest {
            name: offer.name,
            request_id: request_id(),
        })
        .await
        .expect("accepted")
        .into_inner()
        .complaint
        .expect("a complaint");

    // Assert
    assert!(!before);
    assert!(offered);
    assert_eq!(accepted.owner, "billing-2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_acts_on_the_teams_they_supervise_and_no_further() {
    // Arrange
    let app = spawn_app().await;
    create_team(&app, "billing", "sup-b", "", "").await;
    let theirs = billing_complaint(&app).await;
    let ours = app.received().await;
    let mut supervisor_of_billing = app.client_as("sup-b", &[Role::Supervisor], Some("back"));
    let reassign = |name: &str| pb::ReassignComplaintRequest {
        name: name.into(),
        new_owner: "billing-3".into(),
        new_team: "teams/billing".into(),
        reason: "workload".into(),
        ..Default::default()
    };

    // Act
    let reassigned = supervisor_of_billing
        .reassign_complaint(reassign(&theirs.name))
        .await
        .expect("within the supervisor's scope")
        .into_inner()
        .complaint
        .expect("a complaint");
    let refused = supervisor_of_billing
        .reassign_complaint(reassign(&ours.name))
        .await
        .expect_err("outside the supervisor's scope");
    let front_supervisor = can_read(&mut app.supervisor(), &theirs.name).await;

    // Assert
    assert_eq!(reassigned.owner, "billing-3");
    assert_status(&refused, Code::PermissionDenied, "OUTSIDE_TEAM");
    assert!(!front_supervisor);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_department_head_sees_every_team_of_the_department() {
    // Arrange
    let app = spawn_app().await;
    create_team(&app, "billing", "sup-b", "finance", "head-f").await;
    create_team(&app, "collections", "sup-c", "finance", "head-f").await;
    let billing = billing_complaint(&app).await;
    let customer = app.customer("Alan Turing").await;
    let collections = app
        .create_as(
            &mut app.client_as("coll-1", &[Role::Agent], Some("collections")),
            complaint(&customer),
        )
        .await;
    let front = app.received().await;
    let mut head = app.client_as("head-f", &[Role::Supervisor], None);

    // Act
    let mut seen = listed(&mut head).await;
    seen.sort();
    let front_read = can_read(&mut head, &front.name).await;

    // Assert
    let mut expected = vec![billing.name, collections.name];
    expected.sort();
    assert_eq!(seen, expected);
    assert!(!front_read);
}

#[tokio::test(flavor = "multi_thread")]
async fn crisis_managers_and_admins_read_every_team() {
    // Arrange
    let app = spawn_app().await;
    let billing = billing_complaint(&app).await;
    let front = app.received().await;

    // Act
    let mut crisis = app.client_as("cm-1", &[Role::CrisisManager], Some("crisis"));
    let crisis_list = listed(&mut crisis).await;
    let admin_list = listed(&mut app.admin()).await;

    // Assert
    assert!(can_read(&mut crisis, &billing.name).await);
    assert_eq!(crisis_list.len(), 2, "{crisis_list:?}");
    assert!(crisis_list.contains(&front.name));
    assert_eq!(admin_list.len(), 2, "{admin_list:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_acting_for_an_agent_has_the_agents_scope_and_alone_sees_all() {
    // Arrange
    let app = spawn_app().await;
    let billing = billing_complaint(&app).await;
    let front = app.received().await;
    let agent = Secret::new(app.token("agent-2", &[Role::Agent], Some("front")));
    let service_token = Secret::new(app.token("svc-crisis", &[Role::Service], None));
    let interceptor = BearerInterceptor::new(&service_token)
        .and_then(|i| i.with_end_user(&agent))
        .expect("an interceptor");
    let mut acting = pb::complaint_service_client::ComplaintServiceClient::with_interceptor(
        app.channel.clone(),
        interceptor,
    );

    // Act
    let for_agent_billing = can_read(&mut acting, &billing.name).await;
    let for_agent_front = can_read(&mut acting, &front.name).await;
    let for_agent_list = listed(&mut acting).await;
    let alone = can_read(&mut app.service(), &billing.name).await;

    // Assert
    assert!(!for_agent_billing);
    assert!(for_agent_front);
    assert_eq!(for_agent_list, [front.name]);
    assert!(alone);
}
