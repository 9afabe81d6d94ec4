//! The customers service: customers with a marker in every personal field
//! (one whose e-mail the SMTP server refuses), customers refused for a bad
//! e-mail address and a bad phone number, a search by contact, a rename, an
//! interaction.

use redress_proto::customers::v1 as cpb;

use super::{Cast, Markers, request_id};

/// Creates a customer with a marker in every personal field, preferring
/// e-mail; its name.
async fn create_customer(cast: &mut Cast, m: &mut Markers, bounce: bool) -> String {
    let email = if bounce {
        m.email("bouncingemail", "bounce")
    } else {
        m.email("email", "")
    };
    let mut contact_points = vec![cpb::ContactPoint {
        point: Some(cpb::contact_point::Point::Email(email)),
        label: m.text("contactlabel"),
        ..Default::default()
    }];
    if !bounce {
        contact_points.push(cpb::ContactPoint {
            point: Some(cpb::contact_point::Point::Phone(m.phone("phone"))),
            ..Default::default()
        });
        contact_points.push(cpb::ContactPoint {
            point: Some(cpb::contact_point::Point::Postal(cpb::PostalAddress {
                lines: vec![m.text("addressline"), m.text("addresslinetwo")],
                locality: m.text("city"),
                administrative_area: m.text("province"),
                postal_code: m.text("postcode"),
                region_code: "NL".into(),
            })),
            ..Default::default()
        });
    }
    cast.customers
        .create_customer(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: m.text("displayname"),
                kind: cpb::CustomerKind::Person.into(),
                contact_points,
                locale: "en-GB".into(),
                time_zone: "Europe/Amsterdam".into(),
                preferred_channels: vec![cpb::Channel::Email.into()],
                industry: m.text("industry"),
                business_scope: m.text("businessscope"),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("a customer")
        .into_inner()
        .customer
        .expect("a customer")
        .name
}

/// The customers service: customers, a renamed one, refused ones, a
/// search, an interaction. The two customers' names.
pub(crate) async fn create_and_refuse(cast: &mut Cast, m: &mut Markers) -> (String, String) {
    let customer = create_customer(cast, m, false).await;
    let bouncing = create_customer(cast, m, true).await;

    let bad_email = cast
        .customers
        .create_customer(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: m.text("refusedname"),
                kind: cpb::CustomerKind::Person.into(),
                contact_points: vec![cpb::ContactPoint {
                    point: Some(cpb::contact_point::Point::Email(m.text("bademail"))),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("a bad e-mail address is refused");
    assert_eq!(
        bad_email.code(),
        tonic::Code::InvalidArgument,
        "{bad_email:?}"
    );
    let bad_phone = cast
        .customers
        .create_customer(cpb::CreateCustomerRequest {
            customer: Some(cpb::Customer {
                display_name: m.text("refusednametwo"),
                kind: cpb::CustomerKind::Person.into(),
                contact_points: vec![cpb::ContactPoint {
                    point: Some(cpb::contact_point::Point::Phone(m.text("badphone"))),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect_err("a bad phone number is refused");
    assert_eq!(
        bad_phone.code(),
        tonic::Code::InvalidArgument,
        "{bad_phone:?}"
    );

    let found = cast
        .customers
        .search_customers_by_contact(cpb::SearchCustomersByContactRequest {
            query: m.email("searchedemail", ""),
            page_size: 10,
        })
        .await
        .expect("a search")
        .into_inner();
    assert!(found.customers.is_empty(), "{found:?}");

    let current = cast
        .customers
        .get_customer(cpb::GetCustomerRequest {
            name: customer.clone(),
        })
        .await
        .expect("the customer")
        .into_inner()
        .customer
        .expect("a customer");
    cast.customers
        .update_customer(cpb::UpdateCustomerRequest {
            customer: Some(cpb::Customer {
                name: customer.clone(),
                display_name: m.text("displaynameupdated"),
                etag: current.etag,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["display_name".into()],
            }),
        })
        .await
        .expect("renamed");
    cast.customers
        .record_interaction(cpb::RecordInteractionRequest {
            parent: customer.clone(),
            interaction: Some(cpb::Interaction {
                channel: cpb::Channel::Phone.into(),
                direction: cpb::Direction::Inbound.into(),
                summary: m.text("interactionsummary"),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .expect("an interaction");
    (customer, bouncing)
}
