//! API tests of customer profiles through a real gRPC client against the
//! running service and PostgreSQL: CreateCustomer (validation, idempotency,
//! uniqueness, nothing partly written), GetCustomer, BatchGetCustomers,
//! UpdateCustomer (field mask, etag) and EraseCustomer.

mod support;

use redress_platform::auth::Role;
use support::*;
use tonic::Code;
use tonic_types::StatusExt;

fn create_request(customer: pb::Customer, request_id: &str) -> pb::CreateCustomerRequest {
    pb::CreateCustomerRequest {
        customer: Some(customer),
        request_id: request_id.into(),
    }
}

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_string()).collect(),
    })
}

// ---- CreateCustomer and GetCustomer ------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_new_customer_is_a_grade_d_prospect_with_normalised_contacts_and_reads_back_the_same() {
    // Arrange
    let app = spawn_app().await;
    let customer = pb::Customer {
        contact_points: vec![
            phone("+1 (650) 253-0000"),
            email("  Jan.Jansen@Example.NL "),
            postal("Damrak 1", "nl"),
        ],
        locale: "zh-hant-tw".into(),
        time_zone: "Europe/Amsterdam".into(),
        preferred_channels: vec![pb::Channel::Email.into(), pb::Channel::Phone.into()],
        communication_style: pb::CommunicationStyle::Formal.into(),
        consents: vec![pb::Consent {
            purpose: "marketing".into(),
            state: pb::ConsentState::Granted.into(),
            update_time: None,
        }],
        tags: vec!["Wholesale".into(), "vip".into()],
        size: pb::CustomerSize::Medium.into(),
        external_reference: "CRM-1".into(),
        ..person("Jan Jansen")
    };

    // Act
    let created = app
        .agent()
        .create_customer(create_request(customer, ""))
        .await
        .expect("created")
        .into_inner()
        .customer
        .expect("a customer");

    // Assert
    id_of(&created.name);
    assert_eq!(created.lifecycle_stage, pb::LifecycleStage::Prospect as i32);
    assert_eq!(created.value_grade, pb::ValueGrade::D as i32);
    assert_eq!(created.create_time, Some(ts(app.now())));
    assert!(!created.etag.is_empty());
    assert_eq!(created.locale, "zh-Hant-TW");
    assert_eq!(created.tags, ["vip", "wholesale"]);
    let points: Vec<_> = created
        .contact_points
        .iter()
        .map(|p| p.point.clone())
        .collect();
    assert_eq!(
        points[..2],
        [
            Some(pb::contact_point::Point::Phone("+16502530000".into())),
            Some(pb::contact_point::Point::Email(
                "Jan.Jansen@Example.NL".into()
            )),
        ]
    );
    let Some(pb::contact_point::Point::Postal(address)) = &points[2] else {
        panic!("a postal address third: {points:?}");
    };
    assert_eq!(address.region_code, "NL");
    assert_eq!(created.consents[0].update_time, Some(ts(app.now())));
    assert_eq!(app.get(&created.name).await, created);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_one_field_violation_per_bad_field_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let customer = pb::Customer {
        kind: 42,
        contact_points: vec![
            email("jan.jansen-at-example.nl"),
            phone("call me maybe"),
            phone("+1 650 253 0000"),
        ],
        locale: "not a locale!".into(),
        time_zone: "Mars/Olympus_Mons".into(),
        preferred_channels: vec![pb::Channel::Sms.into(), 77],
        size: 99,
        tags: vec!["Not A Tag!".into()],
        ..person("Jan Jansen")
    };

    // Act
    let status = app
        .agent()
        .create_customer(create_request(customer, "not-a-uuid"))
        .await
        .expect_err("refused");

    // Assert
    assert_invalid(
        &status,
        &[
            "request_id",
            "customer.kind",
            "customer.contact_points[0].email",
            "customer.contact_points[1].phone",
            "customer.locale",
            "customer.time_zone",
            "customer.preferred_channels[1]",
            "customer.size",
            "customer.tags[0]",
        ],
    );
    let details = status.get_error_details();
    let bad = details.bad_request().expect("a BadRequest");
    for violation in &bad.field_violations {
        assert!(
            !violation.description.contains("jan.jansen")
                && !violation.description.contains("call me"),
            "a description echoes personal data: {violation:?}"
        );
    }
    for table in [
        "customers",
        "contact_points",
        "consents",
        "customer_states",
        "request_ids",
    ] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_customer_or_display_name_is_invalid_argument() {
    let app = spawn_app().await;
    let mut agent = app.agent();

    let status = agent
        .create_customer(pb::CreateCustomerRequest::default())
        .await
        .expect_err("refused");
    assert_invalid(&status, &["customer"]);

    let status = agent
        .create_customer(create_request(
            pb::Customer {
                display_name: "   ".into(),
                ..Default::default()
            },
            "",
        ))
        .await
        .expect_err("refused");
    assert_invalid(&status, &["customer.display_name", "customer.kind"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_bad_contact_point_among_good_ones_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let customer = pb::Customer {
        contact_points: vec![
            phone("+31 20 123 4567"),
            email("jan@example.nl"),
            email("jan@localhost"),
            phone("+31 20 123 4567"),
        ],
        consents: vec![pb::Consent {
            purpose: "surveys".into(),
            state: pb::ConsentState::OptedOut.into(),
            update_time: None,
        }],
        ..person("Jan Jansen")
    };

    // Act
    let status = app
        .agent()
        .create_customer(create_request(customer, &request_id()))
        .await
        .expect_err("refused");

    // Assert: the bad address and the repeated phone, nothing else.
    assert_invalid(
        &status,
        &[
            "customer.contact_points[2].email",
            "customer.contact_points[3]",
        ],
    );
    for table in [
        "customers",
        "contact_points",
        "consents",
        "customer_states",
        "request_ids",
    ] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_external_reference_is_already_exists_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let first = app
        .create(pb::Customer {
            external_reference: "CRM-42".into(),
            contact_points: vec![email("first@example.nl")],
            ..person("First")
        })
        .await;
    let second = pb::Customer {
        external_reference: "CRM-42".into(),
        contact_points: vec![email("second@example.nl"), phone("+31 20 123 4567")],
        consents: vec![pb::Consent {
            purpose: "marketing".into(),
            state: pb::ConsentState::Granted.into(),
            update_time: None,
        }],
        ..person("Second")
    };
    let retry_id = request_id();

    // Act
    let status = app
        .agent()
        .create_customer(create_request(second.clone(), &retry_id))
        .await
        .expect_err("refused");

    // Assert
    assert_status(&status, Code::AlreadyExists, "EXTERNAL_REFERENCE_TAKEN");
    assert_eq!(app.count("customers").await, 1);
    assert_eq!(app.count("contact_points").await, 1);
    assert_eq!(app.count("consents").await, 0);
    assert_eq!(app.count("customer_states").await, 1);
    assert_eq!(
        app.count("request_ids").await,
        0,
        "the request id was not kept"
    );
    assert_eq!(app.get(&first.name).await, first);

    // The same request id is free for the corrected request.
    let corrected = pb::Customer {
        external_reference: "CRM-43".into(),
        ..second
    };
    let created = app
        .agent()
        .create_customer(create_request(corrected, &retry_id))
        .await
        .expect("the corrected request succeeds")
        .into_inner()
        .customer
        .expect("a customer");
    assert_eq!(created.external_reference, "CRM-43");
    assert_eq!(app.count("customers").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_create_returns_the_first_answer_and_a_reused_request_id_is_refused() {
    // Arrange
    let app = spawn_app().await;
    let id = request_id();
    let customer = pb::Customer {
        contact_points: vec![phone("+31 20 123 4567")],
        ..person("Jan Jansen")
    };
    let first = app
        .agent()
        .create_customer(create_request(customer.clone(), &id))
        .await
        .expect("created")
        .into_inner();

    // Act: the same request later, then a different one with the same id.
    app.advance_days(1);
    let repeat = app
        .agent()
        .create_customer(create_request(customer.clone(), &id))
        .await
        .expect("replayed")
        .into_inner();
    let reused = app
        .agent()
        .create_customer(create_request(
            pb::Customer {
                display_name: "Someone Else".into(),
                ..customer
            },
            &id,
        ))
        .await
        .expect_err("refused");

    // Assert
    assert_eq!(repeat, first);
    assert_eq!(app.count("customers").await, 1);
    assert_eq!(app.count("contact_points").await, 1);
    assert_invalid(&reused, &["request_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_customer_is_not_found_and_a_malformed_name_is_invalid() {
    let app = spawn_app().await;
    let mut agent = app.agent();
    let unknown = format!("customers/{}", uuid::Uuid::now_v7());

    let status = agent
        .get_customer(pb::GetCustomerRequest {
            name: unknown.clone(),
        })
        .await
        .expect_err("not found");
    assert_status(&status, Code::NotFound, "CUSTOMER_NOT_FOUND");
    let details = status.get_error_details();
    let resource = details.resource_info().expect("a ResourceInfo");
    assert_eq!(resource.resource_name, unknown);

    for name in ["", "customer/1", "customers/not-a-uuid"] {
        let status = agent
            .get_customer(pb::GetCustomerRequest { name: name.into() })
            .await
            .expect_err("refused");
        assert_invalid(&status, &["name"]);
    }
}

// ---- BatchGetCustomers ---------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_get_answers_in_the_order_asked_and_all_or_nothing() {
    // Arrange
    let app = spawn_app().await;
    let a = app.create(person("A")).await;
    let b = app.create(person("B")).await;
    let c = app.create(person("C")).await;
    let mut agent = app.agent();
    let batch = |names: Vec<String>| pb::BatchGetCustomersRequest { names };

    // Act
    let got = agent
        .batch_get_customers(batch(vec![c.name.clone(), a.name.clone(), b.name.clone()]))
        .await
        .expect("found")
        .into_inner()
        .customers;

    // Assert
    assert_eq!(got, [c.clone(), a.clone(), b.clone()]);

    let unknown = format!("customers/{}", uuid::Uuid::now_v7());
    let status = agent
        .batch_get_customers(batch(vec![a.name.clone(), unknown.clone()]))
        .await
        .expect_err("not found");
    assert_status(&status, Code::NotFound, "CUSTOMER_NOT_FOUND");
    let details = status.get_error_details();
    assert_eq!(
        details
            .resource_info()
            .expect("a ResourceInfo")
            .resource_name,
        unknown
    );

    let status = agent
        .batch_get_customers(batch(vec![]))
        .await
        .expect_err("refused");
    assert_invalid(&status, &["names"]);
    let status = agent
        .batch_get_customers(batch(vec![a.name.clone(), "customers/x".into()]))
        .await
        .expect_err("refused");
    assert_invalid(&status, &["names[1]"]);
    let status = agent
        .batch_get_customers(batch(vec![a.name.clone(); 1001]))
        .await
        .expect_err("refused");
    assert_invalid(&status, &["names"]);
}

// ---- UpdateCustomer ------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn an_update_changes_only_the_masked_fields_and_moves_the_etag() {
    // Arrange
    let app = spawn_app().await;
    let before = app
        .create(pb::Customer {
            industry: "Retail".into(),
            tags: vec!["vip".into()],
            contact_points: vec![phone("+31 20 123 4567")],
            ..person("Jan Jansen")
        })
        .await;
    app.advance_days(1);

    // Act
    let after = app
        .agent()
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: before.name.clone(),
                etag: before.etag.clone(),
                display_name: "Jan de Vries".into(),
                industry: "Banking".into(),
                tags: vec![],
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "tags"]),
        })
        .await
        .expect("updated")
        .into_inner()
        .customer
        .expect("a customer");

    // Assert
    assert_eq!(after.display_name, "Jan de Vries");
    assert!(
        after.tags.is_empty(),
        "a masked empty list clears the field"
    );
    assert_eq!(after.industry, "Retail", "unmasked fields stay");
    assert_eq!(after.contact_points, before.contact_points);
    assert_ne!(after.etag, before.etag);
    assert_eq!(after.update_time, Some(ts(app.now())));
    assert_eq!(after.create_time, before.create_time);
    assert_eq!(app.get(&before.name).await, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_mask_the_fields_sent_are_updated_and_unchanged_consents_keep_their_time() {
    // Arrange
    let app = spawn_app().await;
    let granted = |purpose: &str, state: pb::ConsentState| pb::Consent {
        purpose: purpose.into(),
        state: state.into(),
        update_time: None,
    };
    let before = app
        .create(pb::Customer {
            consents: vec![granted("marketing", pb::ConsentState::Granted)],
            industry: "Retail".into(),
            ..person("Jan Jansen")
        })
        .await;
    let created_at = app.now();
    app.advance_days(3);

    // Act
    let after = app
        .agent()
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: before.name.clone(),
                consents: vec![
                    granted("marketing", pb::ConsentState::Granted),
                    granted("surveys", pb::ConsentState::OptedOut),
                ],
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .expect("updated")
        .into_inner()
        .customer
        .expect("a customer");

    // Assert
    assert_eq!(after.industry, "Retail");
    assert_eq!(after.display_name, "Jan Jansen");
    let times: Vec<_> = after
        .consents
        .iter()
        .map(|c| (c.purpose.as_str(), c.update_time))
        .collect();
    assert_eq!(
        times,
        [
            ("marketing", Some(ts(created_at))),
            ("surveys", Some(ts(app.now())))
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_with_a_stale_etag_is_aborted_and_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let read = app.create(person("Jan Jansen")).await;
    let mut agent = app.agent();
    let rename = |name: &str, etag: &str, to: &str| pb::UpdateCustomerRequest {
        customer: Some(pb::Customer {
            name: name.into(),
            etag: etag.into(),
            display_name: to.into(),
            ..Default::default()
        }),
        update_mask: mask(&["display_name"]),
    };
    let won = agent
        .update_customer(rename(&read.name, &read.etag, "First Agent's Name"))
        .await
        .expect("the first update wins")
        .into_inner()
        .customer
        .expect("a customer");

    // Act: the second agent still holds the etag of the first read.
    let status = agent
        .update_customer(rename(&read.name, &read.etag, "Second Agent's Name"))
        .await
        .expect_err("aborted");

    // Assert
    assert_status(&status, Code::Aborted, "ETAG_MISMATCH");
    assert_eq!(app.get(&read.name).await, won);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_update_input_is_invalid_argument_per_field_and_writes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let before = app
        .create(pb::Customer {
            contact_points: vec![phone("+31 20 123 4567")],
            ..person("Jan Jansen")
        })
        .await;
    let mut agent = app.agent();

    // Act
    let status = agent
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: before.name.clone(),
                contact_points: vec![email("jan@example.nl"), email("not an address")],
                time_zone: "Europe/Atlantis".into(),
                locale: "en_GB!".into(),
                communication_style: 9,
                ..Default::default()
            }),
            update_mask: mask(&[
                "contact_points",
                "time_zone",
                "locale",
                "communication_style",
            ]),
        })
        .await
        .expect_err("refused");

    // Assert
    assert_invalid(
        &status,
        &[
            "customer.contact_points[1].email",
            "customer.time_zone",
            "customer.locale",
            "customer.communication_style",
        ],
    );
    assert_eq!(app.get(&before.name).await, before);
    assert_eq!(app.count("contact_points").await, 1);

    let status = agent
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: before.name.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "value_grade", "etag"]),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["update_mask.paths[1]", "update_mask.paths[2]"]);

    let status = agent
        .update_customer(pb::UpdateCustomerRequest {
            customer: None,
            update_mask: mask(&["display_name"]),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["customer"]);

    let status = agent
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: "customers/nope".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["customer.name"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn updating_an_unknown_customer_is_not_found_and_taking_anothers_reference_already_exists() {
    // Arrange
    let app = spawn_app().await;
    let taken = app
        .create(pb::Customer {
            external_reference: "CRM-7".into(),
            ..person("First")
        })
        .await;
    let other = app.create(person("Second")).await;
    let mut agent = app.agent();

    // Act
    let unknown = agent
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: format!("customers/{}", uuid::Uuid::now_v7()),
                display_name: "Nobody".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .expect_err("not found");
    let clash = agent
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: other.name.clone(),
                external_reference: "CRM-7".into(),
                display_name: "Renamed".into(),
                ..Default::default()
            }),
            update_mask: mask(&["external_reference", "display_name"]),
        })
        .await
        .expect_err("already exists");

    // Assert
    assert_status(&unknown, Code::NotFound, "CUSTOMER_NOT_FOUND");
    assert_status(&clash, Code::AlreadyExists, "EXTERNAL_REFERENCE_TAKEN");
    assert_eq!(app.get(&other.name).await, other, "nothing partly written");
    assert_eq!(app.get(&taken.name).await, taken);
}

// ---- EraseCustomer -------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn erasing_removes_personal_data_and_keeps_the_anonymous_record_and_its_history() {
    // Arrange
    let app = spawn_app().await;
    let create_id = request_id();
    let customer = app
        .agent()
        .create_customer(create_request(
            pb::Customer {
                contact_points: vec![
                    phone("+31 20 123 4567"),
                    email("jan.jansen@example.nl"),
                    postal("Damrak 1", "NL"),
                ],
                consents: vec![pb::Consent {
                    purpose: "marketing".into(),
                    state: pb::ConsentState::Granted.into(),
                    update_time: None,
                }],
                locale: "nl-NL".into(),
                time_zone: "Europe/Amsterdam".into(),
                industry: "Retail".into(),
                key_account_adviser: "adviser-3".into(),
                external_reference: "CRM-99".into(),
                size: pb::CustomerSize::Small.into(),
                ..person("Jan Jansen")
            },
            &create_id,
        ))
        .await
        .expect("created")
        .into_inner()
        .customer
        .expect("a customer");
    let bought = app.purchase(&customer.name, 300, app.now()).await;
    app.agent()
        .record_interaction(pb::RecordInteractionRequest {
            parent: customer.name.clone(),
            interaction: Some(pb::Interaction {
                channel: pb::Channel::Phone.into(),
                direction: pb::Direction::Inbound.into(),
                summary: "Jan Jansen called from +31 20 123 4567 about a late delivery".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("recorded");
    app.advance_days(1);

    // Act
    let erased = app
        .admin()
        .erase_customer(pb::EraseCustomerRequest {
            name: customer.name.clone(),
            reason: "DSR-2026-0042".into(),
        })
        .await
        .expect("erased")
        .into_inner()
        .customer
        .expect("a customer");

    // Assert: the record is anonymous...
    assert_eq!(erased.name, customer.name);
    assert_eq!(erased.erase_time, Some(ts(app.now())));
    assert_eq!(erased.display_name, "");
    assert!(erased.contact_points.is_empty());
    assert!(erased.consents.is_empty());
    assert_eq!(erased.locale, "");
    assert_eq!(erased.time_zone, "");
    assert_eq!(erased.industry, "");
    assert_eq!(erased.key_account_adviser, "");
    assert_eq!(erased.external_reference, "");
    // ...but keeps its standing and history.
    assert_eq!(erased.lifecycle_stage, bought.lifecycle_stage);
    assert_eq!(erased.value_grade, bought.value_grade);
    assert_eq!(erased.last_transaction_time, bought.last_transaction_time);
    assert_eq!(erased.size, pb::CustomerSize::Small as i32);
    assert_eq!(app.get(&customer.name).await, erased);
    assert_eq!(app.count_for("contact_points", &customer.name).await, 0);
    assert_eq!(app.count_for("consents", &customer.name).await, 0);
    assert_eq!(app.count_for("transactions", &customer.name).await, 1);
    let interactions = app
        .agent()
        .list_interactions(pb::ListInteractionsRequest {
            parent: customer.name.clone(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .interactions;
    assert_eq!(interactions.len(), 1, "the contact log is kept");
    assert_eq!(interactions[0].summary, "", "without its free text");

    // No personal data is left anywhere in the schema, stored answers of
    // repeated requests included.
    let dump: String = sqlx::query_scalar(
        "SELECT concat_ws('|',
             (SELECT string_agg(c::text, '|') FROM customers.customers c),
             (SELECT string_agg(i::text, '|') FROM customers.interactions i),
             (SELECT string_agg(t::text, '|') FROM customers.transactions t),
             (SELECT string_agg(encode(r.response, 'escape'), '|') FROM customers.request_ids r))",
    )
    .fetch_one(app.db.admin_pool())
    .await
    .expect("a dump");
    for personal in [
        "Jansen",
        "31201234567",
        "jan.jansen@example.nl",
        "Damrak",
        "CRM-99",
    ] {
        assert!(!dump.contains(personal), "{personal} is still stored");
    }

    // Nobody finds the customer by their old contact points.
    let found = app
        .agent()
        .search_customers_by_contact(pb::SearchCustomersByContactRequest {
            query: "+31 20 123 4567".into(),
            page_size: 0,
        })
        .await
        .expect("searched")
        .into_inner();
    assert!(found.customers.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erased_customer_cannot_change_and_erasing_again_returns_it_unchanged() {
    // Arrange
    let app = spawn_app().await;
    let customer = app.create(person("Jan Jansen")).await;
    let erase = pb::EraseCustomerRequest {
        name: customer.name.clone(),
        reason: "DSR-1".into(),
    };
    let erased = app
        .admin()
        .erase_customer(erase.clone())
        .await
        .expect("erased")
        .into_inner()
        .customer
        .expect("a customer");
    app.advance_days(1);

    // Act
    let again = app
        .admin()
        .erase_customer(erase)
        .await
        .expect("erasing twice is fine")
        .into_inner()
        .customer
        .expect("a customer");
    let update = app
        .agent()
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer {
                name: customer.name.clone(),
                display_name: "Jan Jansen".into(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name"]),
        })
        .await
        .expect_err("refused");
    let interaction = app
        .agent()
        .record_interaction(pb::RecordInteractionRequest {
            parent: customer.name.clone(),
            interaction: Some(pb::Interaction {
                channel: pb::Channel::Chat.into(),
                direction: pb::Direction::Inbound.into(),
                summary: "Asked about their order".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("refused");
    let transaction = app
        .service()
        .record_transaction(pb::RecordTransactionRequest {
            parent: customer.name.clone(),
            transaction: Some(pb::Transaction {
                kind: pb::TransactionKind::Purchase.into(),
                amount: Some(euros(10)),
                occur_time: Some(ts(app.now())),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("refused");
    let satisfaction = app
        .agent()
        .record_satisfaction(pb::RecordSatisfactionRequest {
            parent: customer.name.clone(),
            record: Some(pb::SatisfactionRecord {
                perceived_value: 3.0,
                expectation: 4.0,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("refused");

    // Assert
    assert_eq!(again, erased);
    for status in [&update, &interaction, &transaction, &satisfaction] {
        assert_status(status, Code::FailedPrecondition, "CUSTOMER_ERASED");
    }
    assert_eq!(app.get(&customer.name).await, erased);
    assert_eq!(app.count("interactions").await, 0);
    assert_eq!(app.count("transactions").await, 0);
    assert_eq!(app.count("satisfaction_records").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn erasing_needs_a_known_customer_and_a_reason() {
    let app = spawn_app().await;
    let mut admin = app.client(&[Role::Admin]);

    let status = admin
        .erase_customer(pb::EraseCustomerRequest {
            name: format!("customers/{}", uuid::Uuid::now_v7()),
            reason: "DSR-1".into(),
        })
        .await
        .expect_err("not found");
    assert_status(&status, Code::NotFound, "CUSTOMER_NOT_FOUND");

    let status = admin
        .erase_customer(pb::EraseCustomerRequest {
            name: "jan".into(),
            reason: " ".into(),
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["name", "reason"]);
}
