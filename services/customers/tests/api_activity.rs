//! API tests of what happens to a customer: RecordTransaction (value grade
//! and lifecycle stage kept current, also as time passes and the review sweep
//! runs on a moved clock), RecordInteraction and ListInteractions (newest
//! first, in pages), and RecordSatisfaction (ratio, summary and trend).

mod support;

use jiff::{SignedDuration, Timestamp};
use support::*;
use tonic::Code;

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn stage(customer: &pb::Customer) -> pb::LifecycleStage {
    pb::LifecycleStage::try_from(customer.lifecycle_stage).expect("a known stage")
}

fn grade(customer: &pb::Customer) -> pb::ValueGrade {
    pb::ValueGrade::try_from(customer.value_grade).expect("a known grade")
}

fn transaction_request(
    parent: &str,
    kind: pb::TransactionKind,
    amount: Option<Money>,
    at: Timestamp,
) -> pb::RecordTransactionRequest {
    pb::RecordTransactionRequest {
        parent: parent.into(),
        transaction: Some(pb::Transaction {
            kind: kind.into(),
            amount,
            occur_time: Some(ts(at)),
            external_reference: "INV-1".into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

// ---- RecordTransaction -----------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_first_purchase_makes_a_prospect_established_and_grades_it() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let bought_at = app.now() - days(2);

    // Act
    let answer = app
        .service()
        .record_transaction(transaction_request(
            &customer.name,
            pb::TransactionKind::Purchase,
            Some(Money {
                currency_code: "eur".into(),
                units: 250,
                nanos: 500_000_000,
            }),
            bought_at,
        ))
        .await
        .expect("recorded")
        .into_inner();

    // Assert: one purchase of EUR 250.50 scores 1 on frequency and amount: C.
    let transaction = answer.transaction.expect("a transaction");
    assert!(
        transaction
            .name
            .starts_with(&format!("{}/transactions/", customer.name))
    );
    assert_eq!(
        transaction.amount,
        Some(Money {
            currency_code: "EUR".into(),
            units: 250,
            nanos: 500_000_000,
        })
    );
    assert_eq!(transaction.occur_time, Some(ts(bought_at)));
    assert_eq!(transaction.create_time, Some(ts(app.now())));
    let after = answer.customer.expect("a customer");
    assert_eq!(stage(&after), pb::LifecycleStage::Established);
    assert_eq!(grade(&after), pb::ValueGrade::C);
    assert_eq!(after.last_transaction_time, Some(ts(bought_at)));
    assert_ne!(after.etag, customer.etag);
    assert_eq!(app.get(&customer.name).await, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn frequent_large_purchases_over_the_year_make_an_a_customer() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Big Spender")).await;
    let now = app.now();

    // Act: twelve purchases of EUR 1,000, one a week.
    let mut latest = customer;
    for week in (0..12).rev() {
        latest = app
            .purchase(&latest.name, 1_000, now - days(7 * week))
            .await;
        if week == 11 {
            assert_eq!(
                grade(&latest),
                pb::ValueGrade::C,
                "one purchase of EUR 1,000"
            );
        }
    }

    // Assert: 12 purchases and EUR 12,000 in the window score 3 and 3.
    assert_eq!(grade(&latest), pb::ValueGrade::A);
    assert_eq!(stage(&latest), pb::LifecycleStage::Established);
    assert_eq!(latest.last_transaction_time, Some(ts(now)));
}

#[tokio::test(flavor = "multi_thread")]
async fn as_time_passes_without_purchases_a_customer_declines_then_churns() {
    // Arrange: a medium customer churns after 180 days and declines after 90.
    let app = spawn_app().await;
    let customer = app
        .create(organisation("Medium BV", pb::CustomerSize::Medium))
        .await;
    let bought = app.purchase(&customer.name, 500, app.now()).await;
    assert_eq!(stage(&bought), pb::LifecycleStage::Established);

    // Act and assert: nothing is due before time moves.
    assert_eq!(app.review().await, 0);
    assert_eq!(
        stage(&app.get(&customer.name).await),
        pb::LifecycleStage::Established
    );

    app.advance_days(91);
    assert!(app.review().await >= 1);
    let declined = app.get(&customer.name).await;
    assert_eq!(stage(&declined), pb::LifecycleStage::Declining);
    assert_ne!(
        declined.etag, bought.etag,
        "a change of standing moves the etag"
    );

    app.advance_days(90);
    app.review().await;
    let churned = app.get(&customer.name).await;
    assert_eq!(stage(&churned), pb::LifecycleStage::Churned);
    // No purchase for over 180 days: the recency limit drops the grade.
    assert_eq!(grade(&churned), pb::ValueGrade::D);

    // A churned customer waits for a transaction; time alone changes nothing.
    app.advance_days(400);
    app.review().await;
    assert_eq!(app.get(&customer.name).await, churned);

    // Assert: the history behind the churn report.
    let history: Vec<(String, String)> = sqlx::query_as(
        "SELECT stage, grade FROM customers.customer_states WHERE customer_id = $1 ORDER BY seq",
    )
    .bind(id_of(&customer.name))
    .fetch_all(app.db.admin_pool())
    .await
    .expect("history");
    let stages: Vec<&str> = history.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(stages, ["prospect", "established", "declining", "churned"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_contract_end_churns_at_once_and_buying_again_reactivates() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    app.purchase(&customer.name, 100, app.now() - days(10))
        .await;

    // Act
    let ended = app
        .record(
            &customer.name,
            pb::TransactionKind::ContractEnd,
            None,
            app.now() - days(1),
        )
        .await;
    app.advance_days(30);
    let back = app.purchase(&customer.name, 100, app.now()).await;

    // Assert
    assert_eq!(stage(&ended), pb::LifecycleStage::Churned);
    assert_eq!(stage(&back), pb::LifecycleStage::Reactivated);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_transactions_get_one_violation_per_field_and_write_nothing() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let mut billing = app.service();
    let bad = |transaction: pb::Transaction, request_id: &str| pb::RecordTransactionRequest {
        parent: customer.name.clone(),
        transaction: Some(transaction),
        request_id: request_id.into(),
    };

    // Act and assert
    let status = billing
        .record_transaction(bad(
            pb::Transaction {
                kind: pb::TransactionKind::Purchase.into(),
                amount: Some(euros(-5)),
                occur_time: Some(ts(app.now() + days(1))),
                ..Default::default()
            },
            "x",
        ))
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &["request_id", "transaction.amount", "transaction.occur_time"],
    );

    let status = billing
        .record_transaction(bad(
            pb::Transaction {
                kind: 42,
                amount: Some(Money {
                    currency_code: "EUR".into(),
                    units: 1,
                    nanos: 5,
                }),
                occur_time: None,
                ..Default::default()
            },
            "",
        ))
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &[
            "transaction.kind",
            "transaction.amount",
            "transaction.occur_time",
        ],
    );

    for (amount, why) in [
        (None, "a purchase needs an amount"),
        (
            Some(Money {
                currency_code: "XYZ".into(),
                units: 5,
                nanos: 0,
            }),
            "an unknown currency",
        ),
        (
            Some(Money {
                currency_code: "EUR".into(),
                units: 0,
                nanos: -10_000_000,
            }),
            "negative cents",
        ),
    ] {
        let status = billing
            .record_transaction(bad(
                pb::Transaction {
                    kind: pb::TransactionKind::Purchase.into(),
                    amount,
                    occur_time: Some(ts(app.now())),
                    ..Default::default()
                },
                "",
            ))
            .await
            .expect_err(why);
        assert_invalid(&status, &["transaction.amount"]);
    }

    let status = billing
        .record_transaction(pb::RecordTransactionRequest {
            parent: "customers/1".into(),
            transaction: None,
            request_id: String::new(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["parent", "transaction"]);

    assert_eq!(app.count("transactions").await, 0);
    assert_eq!(app.get(&customer.name).await, customer);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_for_an_unknown_customer_is_not_found_and_writes_nothing() {
    let app = spawn_app().await;
    let status = app
        .service()
        .record_transaction(pb::RecordTransactionRequest {
            request_id: request_id(),
            ..transaction_request(
                &format!("customers/{}", uuid::Uuid::now_v7()),
                pb::TransactionKind::Purchase,
                Some(euros(10)),
                app.now(),
            )
        })
        .await
        .expect_err("not found");
    assert_status(&status, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert_eq!(app.count("transactions").await, 0);
    assert_eq!(app.count("request_ids").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_transaction_is_recorded_once_and_a_reused_request_id_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let request = pb::RecordTransactionRequest {
        request_id: request_id(),
        ..transaction_request(
            &customer.name,
            pb::TransactionKind::Purchase,
            Some(euros(99)),
            app.now(),
        )
    };
    let mut billing = app.service();
    let first = billing
        .record_transaction(request.clone())
        .await
        .expect("recorded")
        .into_inner();

    // Act
    app.advance_days(1);
    let repeat = billing
        .record_transaction(request.clone())
        .await
        .expect("replayed")
        .into_inner();
    let mut changed = request;
    if let Some(t) = changed.transaction.as_mut() {
        t.amount = Some(euros(100));
    }
    let reused = billing
        .record_transaction(changed)
        .await
        .expect_err("refused");

    // Assert
    assert_eq!(repeat, first);
    assert_eq!(app.count("transactions").await, 1);
    assert_invalid(&reused, &["request_id"]);
}

// ---- RecordInteraction and ListInteractions --------------------------------

fn interaction(summary: &str, at: Option<Timestamp>) -> pb::Interaction {
    pb::Interaction {
        channel: pb::Channel::Phone.into(),
        direction: pb::Direction::Inbound.into(),
        summary: summary.into(),
        occur_time: at.map(ts),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn interactions_are_listed_newest_first_in_pages() {
    // Arrange: five contacts, recorded out of order.
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let other = app.create(person("Someone Else")).await;
    let now = app.now();
    let mut agent = app.agent();
    let mut recorded = Vec::new();
    for hours_ago in [3, 1, 4, 0, 2] {
        let answer = agent
            .record_interaction(pb::RecordInteractionRequest {
                parent: customer.name.clone(),
                interaction: Some(interaction(
                    &format!("contact {hours_ago} hours ago"),
                    Some(now - SignedDuration::from_hours(hours_ago)),
                )),
                request_id: request_id(),
            })
            .await
            .expect("recorded")
            .into_inner()
            .interaction
            .expect("an interaction");
        recorded.push((hours_ago, answer));
    }
    agent
        .record_interaction(pb::RecordInteractionRequest {
            parent: other.name.clone(),
            interaction: Some(interaction("not theirs", None)),
            request_id: String::new(),
        })
        .await
        .expect("recorded");
    recorded.sort_by_key(|(hours_ago, _)| *hours_ago);
    let newest_first: Vec<pb::Interaction> = recorded.into_iter().map(|(_, i)| i).collect();

    // Act
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = agent
            .list_interactions(pb::ListInteractionsRequest {
                parent: customer.name.clone(),
                page_size: 2,
                page_token: token,
            })
            .await
            .expect("a page")
            .into_inner();
        pages.push(page.interactions);
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }

    // Assert
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(pages.concat(), newest_first);
    let first = &newest_first[0];
    assert!(
        first
            .name
            .starts_with(&format!("{}/interactions/", customer.name))
    );
    assert_eq!(first.agent, "agent-7", "the caller when left empty");
    assert_eq!(first.create_time, Some(ts(now)));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interaction_defaults_to_now_and_names_its_agent_and_complaint() {
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let complaint = format!("complaints/{}", uuid::Uuid::now_v7());
    let recorded = app
        .client_as("supervisor-2", &[redress_platform::auth::Role::Supervisor])
        .record_interaction(pb::RecordInteractionRequest {
            parent: customer.name.clone(),
            interaction: Some(pb::Interaction {
                channel: pb::Channel::Email.into(),
                direction: pb::Direction::Outbound.into(),
                summary: "  Sent the replacement schedule. ".into(),
                agent: "agent-9".into(),
                related_complaint: complaint.clone(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("recorded")
        .into_inner()
        .interaction
        .expect("an interaction");
    assert_eq!(recorded.occur_time, Some(ts(app.now())));
    assert_eq!(recorded.agent, "agent-9");
    assert_eq!(recorded.summary, "Sent the replacement schedule.");
    assert_eq!(recorded.related_complaint, complaint);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_interactions_and_list_requests_get_one_violation_per_field() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let other = app.create(person("Someone Else")).await;
    let mut agent = app.agent();

    // Act and assert: recording.
    let status = agent
        .record_interaction(pb::RecordInteractionRequest {
            parent: customer.name.clone(),
            interaction: Some(pb::Interaction {
                channel: 0,
                direction: 9,
                summary: " ".into(),
                occur_time: Some(ts(app.now() + days(1))),
                related_complaint: "C-2026-000123".into(),
                ..Default::default()
            }),
            request_id: "nope".into(),
        })
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &[
            "request_id",
            "interaction.channel",
            "interaction.direction",
            "interaction.summary",
            "interaction.occur_time",
            "interaction.related_complaint",
        ],
    );
    let status = agent
        .record_interaction(pb::RecordInteractionRequest {
            parent: customer.name.clone(),
            interaction: Some(interaction(&"x".repeat(4001), None)),
            request_id: String::new(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["interaction.summary"]);
    let status = agent
        .record_interaction(pb::RecordInteractionRequest {
            parent: format!("customers/{}", uuid::Uuid::now_v7()),
            interaction: Some(interaction("hello", None)),
            request_id: String::new(),
        })
        .await
        .expect_err("not found");
    assert_status(&status, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert_eq!(app.count("interactions").await, 0);

    // Listing.
    for _ in 0..2 {
        agent
            .record_interaction(pb::RecordInteractionRequest {
                parent: customer.name.clone(),
                interaction: Some(interaction("called", None)),
                request_id: String::new(),
            })
            .await
            .expect("recorded");
    }
    let page = agent
        .list_interactions(pb::ListInteractionsRequest {
            parent: customer.name.clone(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("a page")
        .into_inner();
    let status = agent
        .list_interactions(pb::ListInteractionsRequest {
            parent: other.name.clone(),
            page_size: 1,
            page_token: page.next_page_token,
        })
        .await
        .expect_err("another customer's token");
    assert_invalid(&status, &["page_token"]);
    let status = agent
        .list_interactions(pb::ListInteractionsRequest {
            parent: "customers/".into(),
            page_size: -1,
            page_token: "!!".into(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["parent", "page_size", "page_token"]);
    let status = agent
        .list_interactions(pb::ListInteractionsRequest {
            parent: format!("customers/{}", uuid::Uuid::now_v7()),
            ..Default::default()
        })
        .await
        .expect_err("not found");
    assert_status(&status, Code::NotFound, "CUSTOMER_NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_interaction_is_recorded_once() {
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let request = pb::RecordInteractionRequest {
        parent: customer.name.clone(),
        interaction: Some(interaction("asked for a call-back", None)),
        request_id: request_id(),
    };
    let mut agent = app.agent();
    let first = agent
        .record_interaction(request.clone())
        .await
        .expect("recorded");
    app.advance_days(1);
    let repeat = agent
        .record_interaction(request.clone())
        .await
        .expect("replayed");
    assert_eq!(repeat.into_inner(), first.into_inner());
    assert_eq!(app.count("interactions").await, 1);
    let reused = agent
        .record_interaction(pb::RecordInteractionRequest {
            interaction: Some(interaction("something else", None)),
            ..request
        })
        .await
        .expect_err("refused");
    assert_invalid(&reused, &["request_id"]);
}

// ---- RecordSatisfaction ----------------------------------------------------

/// Records an answer an hour after the previous one.
async fn survey(
    app: &TestApp,
    customer: &str,
    perceived_value: f64,
    expectation: f64,
) -> pb::RecordSatisfactionResponse {
    app.clock.advance(SignedDuration::from_hours(1));
    app.agent()
        .record_satisfaction(pb::RecordSatisfactionRequest {
            parent: customer.into(),
            record: Some(pb::SatisfactionRecord {
                perceived_value,
                expectation,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("recorded")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn satisfaction_is_perceived_value_over_expectation_with_a_trend() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let answer = |perceived, expected| survey(&app, &customer.name, perceived, expected);

    // Act: three answers below expectations, then three above.
    let first = answer(3.0, 4.0).await;
    let early = [answer(2.0, 4.0).await, answer(4.0, 5.0).await];
    let later = [
        answer(5.0, 4.0).await,
        answer(9.0, 8.0).await,
        answer(6.0, 5.0).await,
    ];

    // Assert
    let record = first.record.expect("a record");
    assert!(
        record
            .name
            .starts_with(&format!("{}/satisfactionRecords/", customer.name))
    );
    assert_eq!(record.ratio, 0.75);
    let summary = first.summary.expect("a summary");
    assert_eq!(summary.record_count, 1);
    assert_eq!(
        summary.trend,
        pb::SatisfactionTrend::Unspecified as i32,
        "too few to say"
    );
    let summary = early[1].summary.expect("a summary");
    assert!((summary.recent_mean_ratio - (0.75 + 0.5 + 0.8) / 3.0).abs() < 1e-9);
    assert_eq!(summary.previous_mean_ratio, 0.0, "none before those");

    let summary = later[2].summary.expect("a summary");
    assert_eq!(summary.record_count, 6);
    assert_eq!(summary.current_ratio, 1.2);
    assert!((summary.recent_mean_ratio - (1.25 + 1.125 + 1.2) / 3.0).abs() < 1e-9);
    assert!((summary.previous_mean_ratio - (0.75 + 0.5 + 0.8) / 3.0).abs() < 1e-9);
    assert_eq!(summary.trend, pb::SatisfactionTrend::Improving as i32);
    assert_eq!(summary.last_record_time, Some(ts(app.now())));
    assert_eq!(app.get(&customer.name).await.satisfaction, Some(summary));

    // Three answers well below expectations turn the trend.
    let mut last = None;
    for _ in 0..3 {
        last = answer(1.0, 4.0).await.summary;
    }
    assert_eq!(
        last.map(|s| s.trend),
        Some(pb::SatisfactionTrend::Worsening as i32)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_satisfaction_answers_get_one_violation_per_field_and_write_nothing() {
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let mut agent = app.agent();
    let status = agent
        .record_satisfaction(pb::RecordSatisfactionRequest {
            parent: customer.name.clone(),
            record: Some(pb::SatisfactionRecord {
                perceived_value: -1.0,
                expectation: 0.0,
                related_complaint: "complaints/abc".into(),
                answer_time: Some(ts(app.now() + days(2))),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &[
            "record.perceived_value",
            "record.expectation",
            "record.related_complaint",
            "record.answer_time",
        ],
    );
    let status = agent
        .record_satisfaction(pb::RecordSatisfactionRequest {
            parent: customer.name.clone(),
            record: Some(pb::SatisfactionRecord {
                perceived_value: f64::NAN,
                expectation: f64::INFINITY,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["record.perceived_value", "record.expectation"]);
    let status = agent
        .record_satisfaction(pb::RecordSatisfactionRequest {
            parent: String::new(),
            record: None,
            request_id: String::new(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["parent", "record"]);
    let status = agent
        .record_satisfaction(pb::RecordSatisfactionRequest {
            parent: format!("customers/{}", uuid::Uuid::now_v7()),
            record: Some(pb::SatisfactionRecord {
                perceived_value: 1.0,
                expectation: 1.0,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("not found");
    assert_status(&status, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert_eq!(app.count("satisfaction_records").await, 0);
    assert_eq!(app.get(&customer.name).await.satisfaction, None);
}
