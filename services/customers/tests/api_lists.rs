//! API tests of finding customers: ListCustomers (each filter, keyset pages,
//! page tokens bound to their filters) and SearchCustomersByContact (phone
//! numbers and e-mail addresses typed as an agent types them).

mod support;

use support::*;

fn names(customers: &[pb::Customer]) -> Vec<String> {
    customers.iter().map(|c| c.name.clone()).collect()
}

/// Five customers, created in this order (so in id order):
/// 0 Acme Trading: large, vip, nl-NL, CRM-100, bought once (grade C, established)
/// 1 Bakker & Zn: small, vip + retail, zh-Hant-TW
/// 2 Chen Wei: large, nl-NL, external reference ACME-7
/// 3 De Groot 100%: medium, retail, en-GB
/// 4 Evers: no size, no tags, no locale
async fn five_customers(app: &TestApp) -> Vec<pb::Customer> {
    let specs = [
        pb::Customer {
            tags: vec!["vip".into()],
            locale: "nl-NL".into(),
            external_reference: "CRM-100".into(),
            ..organisation("Acme Trading", pb::CustomerSize::Large)
        },
        pb::Customer {
            tags: vec!["vip".into(), "retail".into()],
            locale: "zh-Hant-TW".into(),
            ..organisation("Bakker & Zn", pb::CustomerSize::Small)
        },
        pb::Customer {
            locale: "nl-NL".into(),
            external_reference: "ACME-7".into(),
            ..organisation("Chen Wei", pb::CustomerSize::Large)
        },
        pb::Customer {
            tags: vec!["retail".into()],
            locale: "en-GB".into(),
            ..organisation("De Groot 100%", pb::CustomerSize::Medium)
        },
        person("Evers"),
    ];
    let mut created = Vec::new();
    for spec in specs {
        created.push(app.create(spec).await);
    }
    created[0] = app.purchase(&created[0].name, 250, app.now()).await;
    created
}

#[tokio::test(flavor = "multi_thread")]
async fn each_filter_narrows_the_list_and_filters_combine() {
    // Arrange
    let app = spawn_app().await;
    let c = five_customers(&app).await;
    let mut agent = app.agent();
    let all = pb::ListCustomersRequest::default();
    let cases: Vec<(&str, pb::ListCustomersRequest, Vec<&pb::Customer>)> = vec![
        ("no filter", all.clone(), c.iter().collect()),
        (
            "size",
            pb::ListCustomersRequest {
                size: pb::CustomerSize::Large.into(),
                ..all.clone()
            },
            vec![&c[0], &c[2]],
        ),
        (
            "grade",
            pb::ListCustomersRequest {
                value_grade: pb::ValueGrade::C.into(),
                ..all.clone()
            },
            vec![&c[0]],
        ),
        (
            "grade D",
            pb::ListCustomersRequest {
                value_grade: pb::ValueGrade::D.into(),
                ..all.clone()
            },
            vec![&c[1], &c[2], &c[3], &c[4]],
        ),
        (
            "stage",
            pb::ListCustomersRequest {
                lifecycle_stage: pb::LifecycleStage::Established.into(),
                ..all.clone()
            },
            vec![&c[0]],
        ),
        (
            "tag, in any case",
            pb::ListCustomersRequest {
                tag: "VIP".into(),
                ..all.clone()
            },
            vec![&c[0], &c[1]],
        ),
        (
            "locale, in any case",
            pb::ListCustomersRequest {
                locale: "nl-nl".into(),
                ..all.clone()
            },
            vec![&c[0], &c[2]],
        ),
        (
            "text in name or external reference, in any case",
            pb::ListCustomersRequest {
                query: "acme".into(),
                ..all.clone()
            },
            vec![&c[0], &c[2]],
        ),
        (
            "text with a LIKE wildcard matches it literally",
            pb::ListCustomersRequest {
                query: "100%".into(),
                ..all.clone()
            },
            vec![&c[3]],
        ),
        (
            "combined",
            pb::ListCustomersRequest {
                size: pb::CustomerSize::Large.into(),
                tag: "vip".into(),
                ..all.clone()
            },
            vec![&c[0]],
        ),
        (
            "nothing matches",
            pb::ListCustomersRequest {
                tag: "retail".into(),
                size: pb::CustomerSize::Large.into(),
                ..all.clone()
            },
            vec![],
        ),
    ];

    for (case, request, expected) in cases {
        // Act
        let page = agent
            .list_customers(request)
            .await
            .expect(case)
            .into_inner();

        // Assert
        let expected: Vec<String> = expected.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names(&page.customers), expected, "{case}");
        assert_eq!(page.next_page_token, "", "{case}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_follow_each_other_in_id_order_without_gaps_or_repeats() {
    // Arrange
    let app = spawn_app().await;
    let c = five_customers(&app).await;
    let mut agent = app.agent();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut token = String::new();

    // Act
    loop {
        let page = agent
            .list_customers(pb::ListCustomersRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("a page")
            .into_inner();
        sizes.push(page.customers.len());
        seen.extend(names(&page.customers));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }

    // Assert
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen, names(&c));
    let ids: Vec<uuid::Uuid> = seen.iter().map(|n| id_of(n)).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending ids");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_token_used_with_other_filters_is_refused() {
    // Arrange
    let app = spawn_app().await;
    five_customers(&app).await;
    let mut agent = app.agent();
    let first = agent
        .list_customers(pb::ListCustomersRequest {
            page_size: 1,
            tag: "vip".into(),
            ..Default::default()
        })
        .await
        .expect("a page")
        .into_inner();
    assert!(!first.next_page_token.is_empty());

    // Act
    let other_filter = agent
        .list_customers(pb::ListCustomersRequest {
            page_size: 1,
            page_token: first.next_page_token.clone(),
            tag: "retail".into(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    let garbage = agent
        .list_customers(pb::ListCustomersRequest {
            page_token: "bm90IGEgdG9rZW4".into(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    let same_filter = agent
        .list_customers(pb::ListCustomersRequest {
            page_size: 1,
            page_token: first.next_page_token,
            tag: "vip".into(),
            ..Default::default()
        })
        .await
        .expect("the same filters continue");

    // Assert
    assert_invalid(&other_filter, &["page_token"]);
    assert_invalid(&garbage, &["page_token"]);
    assert_eq!(same_filter.into_inner().customers.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_list_filters_get_one_violation_each() {
    let app = spawn_app().await;
    let status = app
        .agent()
        .list_customers(pb::ListCustomersRequest {
            page_size: -1,
            value_grade: 9,
            size: 7,
            lifecycle_stage: 12,
            tag: "Not A Tag!".into(),
            locale: "??".into(),
            query: "bad\u{0007}text".into(),
            page_token: String::new(),
        })
        .await
        .expect_err("refused");
    assert_invalid(
        &status,
        &[
            "page_size",
            "value_grade",
            "size",
            "lifecycle_stage",
            "tag",
            "locale",
            "query",
        ],
    );
}

// ---- SearchCustomersByContact ------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_number_is_found_however_the_agent_types_it() {
    // Arrange: a household sharing a phone, and someone else.
    let app = spawn_app().await;
    let jan = app
        .create(pb::Customer {
            contact_points: vec![phone("+1 650-253-0000"), email("Jan.Jansen@Example.NL")],
            ..person("Jan Jansen")
        })
        .await;
    let other = app
        .create(pb::Customer {
            contact_points: vec![phone("+31 20 123 4567")],
            ..person("Piet Peters")
        })
        .await;
    let partner = app
        .create(pb::Customer {
            contact_points: vec![postal("Main St 1", "US"), phone("(650) 253 0000")],
            ..person("Mia Jansen")
        })
        .await;
    let mut agent = app.agent();

    for (typed, normalised, expected) in [
        ("(650) 253-0000", "+16502530000", vec![&jan, &partner]),
        ("650.253.0000", "+16502530000", vec![&jan, &partner]),
        (" +1 650 253 0000 ", "+16502530000", vec![&jan, &partner]),
        ("0016502530000", "+16502530000", vec![&jan, &partner]),
        ("+31 (20) 123-45-67", "+31201234567", vec![&other]),
        ("0031 20 123 4567", "+31201234567", vec![&other]),
        (
            "  JAN.JANSEN@example.nl ",
            "jan.jansen@example.nl",
            vec![&jan],
        ),
        ("nobody@example.nl", "nobody@example.nl", vec![]),
        ("+1 650 253 0001", "+16502530001", vec![]),
    ] {
        // Act
        let found = agent
            .search_customers_by_contact(pb::SearchCustomersByContactRequest {
                query: typed.into(),
                page_size: 0,
            })
            .await
            .expect(typed)
            .into_inner();

        // Assert
        assert_eq!(found.normalized_query, normalised, "{typed}");
        let expected: Vec<String> = expected.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names(&found.customers), expected, "{typed}: oldest first");
    }

    let first_only = agent
        .search_customers_by_contact(pb::SearchCustomersByContactRequest {
            query: "650 253 0000".into(),
            page_size: 1,
        })
        .await
        .expect("found")
        .into_inner();
    assert_eq!(names(&first_only.customers), [jan.name.as_str()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_that_is_neither_a_phone_number_nor_an_e_mail_address_is_invalid() {
    let app = spawn_app().await;
    let mut agent = app.agent();
    for query in ["", "   ", "jan jansen", "jan@localhost", "12"] {
        let status = agent
            .search_customers_by_contact(pb::SearchCustomersByContactRequest {
                query: query.into(),
                page_size: 0,
            })
            .await
            .expect_err(query);
        assert_invalid(&status, &["query"]);
    }
    let status = agent
        .search_customers_by_contact(pb::SearchCustomersByContactRequest {
            query: "call me".into(),
            page_size: -5,
        })
        .await
        .expect_err("refused");
    assert_invalid(&status, &["query", "page_size"]);
}
