//! Goodwill requests shared by the API tests: proposals of a kind, amount and
//! fault, and the propose and approve calls, answered as the server answers.

use redress_proto::google::r#type::Money;
use tonic::Status;

use super::{Client, pb, request_id};

/// `units.nanos` of `currency`.
pub fn money(currency: &str, units: i64, nanos: i32) -> Money {
    Money {
        currency_code: currency.into(),
        units,
        nanos,
    }
}

/// A proposal of `kind` worth `amount` with `fault`.
pub fn goodwill(kind: pb::GoodwillKind, fault: pb::GoodwillFault, amount: Money) -> pb::Goodwill {
    pb::Goodwill {
        kind: kind.into(),
        fault: fault.into(),
        amount: Some(amount),
        description: "Refund of the delivery fee".into(),
        ..Default::default()
    }
}

/// A refund of EUR `units` with `fault`.
pub fn refund(units: i64, fault: pb::GoodwillFault) -> pb::Goodwill {
    goodwill(pb::GoodwillKind::Refund, fault, money("EUR", units, 0))
}

/// Proposes `g` on `parent` as `client` with `request_id`.
pub async fn propose_with(
    client: &mut Client,
    parent: &str,
    g: pb::Goodwill,
    request_id: &str,
) -> Result<pb::Goodwill, Status> {
    client
        .propose_goodwill(pb::ProposeGoodwillRequest {
            parent: parent.into(),
            goodwill: Some(g),
            request_id: request_id.into(),
        })
        .await
        .map(|r| r.into_inner().goodwill.expect("goodwill"))
}

/// Proposes `g` on `parent` as `client`.
pub async fn propose(
    client: &mut Client,
    parent: &str,
    g: pb::Goodwill,
) -> Result<pb::Goodwill, Status> {
    propose_with(client, parent, g, &request_id()).await
}

/// Approves goodwill `name` as `client`.
pub async fn approve(client: &mut Client, name: &str) -> Result<pb::Goodwill, Status> {
    client
        .approve_goodwill(pb::ApproveGoodwillRequest {
            name: name.into(),
            etag: String::new(),
            request_id: request_id(),
        })
        .await
        .map(|r| r.into_inner().goodwill.expect("goodwill"))
}
