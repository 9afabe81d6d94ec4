//! The verifier against a JWKS served over real HTTP: caching, rotation,
//! revocation after the refresh interval, and an unreachable provider.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use tonic::Code;

use super::support::{EC_A, JwksServer, RSA_A, RSA_B, claims, jwk, jwks, signed};
use crate::auth::{AuthError, AuthSettings, Verifier};

#[tokio::test]
async fn keys_from_a_url_are_fetched_once_and_cached() {
    let server = JwksServer::start(jwks(&[jwk(EC_A, Algorithm::ES256, "ec-a")])).await;
    let verifier = Verifier::new(&server.settings()).expect("verifier");
    assert_eq!(server.hits(), 0, "the URL is not contacted at construction");
    let token = signed(
        EC_A,
        Algorithm::ES256,
        Some("ec-a"),
        &claims("agent-7", &["agent"]),
    );

    for _ in 0..3 {
        assert_eq!(
            verifier.verify(&token).await.expect("valid").subject,
            "agent-7"
        );
    }

    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_on_its_first_unknown_kid_and_no_more_often() {
    let server = JwksServer::start(jwks(&[jwk(RSA_A, Algorithm::RS256, "2026-01")])).await;
    let verifier = Verifier::new(&server.settings()).expect("verifier");
    let old = signed(
        RSA_A,
        Algorithm::RS256,
        Some("2026-01"),
        &claims("a", &["agent"]),
    );
    assert!(verifier.verify(&old).await.is_ok());
    assert_eq!(server.hits(), 1);

    // The provider rotates: a new key appears beside the old one.
    server.serve(jwks(&[
        jwk(RSA_A, Algorithm::RS256, "2026-01"),
        jwk(RSA_B, Algorithm::RS256, "2026-02"),
    ]));
    let new = signed(
        RSA_B,
        Algorithm::RS256,
        Some("2026-02"),
        &claims("b", &["agent"]),
    );
    assert_eq!(
        verifier.verify(&new).await.expect("rotated key").subject,
        "b"
    );
    assert_eq!(server.hits(), 2);

    // Another unknown kid within 30 s does not reach the provider again.
    let bogus = signed(
        RSA_B,
        Algorithm::RS256,
        Some("2026-99"),
        &claims("c", &["agent"]),
    );
    let error = verifier.verify(&bogus).await.expect_err("unknown kid");
    assert!(matches!(error, AuthError::UnknownKey), "{error:?}");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_revoked_key_stops_working_once_the_cache_is_refreshed() {
    let server = JwksServer::start(jwks(&[jwk(RSA_A, Algorithm::RS256, "a")])).await;
    let settings = AuthSettings {
        jwks_refresh_seconds: 1,
        ..server.settings()
    };
    let verifier = Verifier::new(&settings).expect("verifier");
    let token = signed(
        RSA_A,
        Algorithm::RS256,
        Some("a"),
        &claims("agent-7", &["agent"]),
    );
    assert!(verifier.verify(&token).await.is_ok());

    server.serve(jwks(&[jwk(RSA_B, Algorithm::RS256, "b")]));
    tokio::time::sleep(Duration::from_millis(1_100)).await;

    let error = verifier.verify(&token).await.expect_err("revoked");
    assert!(matches!(error, AuthError::UnknownKey), "{error:?}");
    assert!(server.hits() >= 2, "the stale cache was fetched again");
}

#[tokio::test]
async fn an_unreachable_provider_makes_tokens_unverifiable_not_invalid() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
    drop(listener);
    let settings = AuthSettings {
        jwks_url: Some(url),
        ..AuthSettings::default()
    };
    let verifier = Verifier::new(&settings).expect("verifier");
    let token = signed(
        RSA_A,
        Algorithm::RS256,
        Some("a"),
        &claims("agent-7", &["agent"]),
    );

    assert!(verifier.refresh_keys().await.is_err());
    let error = verifier.verify(&token).await.expect_err("no keys");

    assert!(matches!(error, AuthError::KeysUnavailable(_)), "{error:?}");
    assert_eq!(error.code(), Code::Unavailable);
    assert!(!error.public_message().contains("127.0.0.1"));
}

#[tokio::test]
async fn a_provider_serving_garbage_keeps_the_keys_already_held() {
    let server = JwksServer::start(jwks(&[jwk(RSA_A, Algorithm::RS256, "a")])).await;
    let settings = AuthSettings {
        jwks_refresh_seconds: 1,
        ..server.settings()
    };
    let verifier = Verifier::new(&settings).expect("verifier");
    let token = signed(
        RSA_A,
        Algorithm::RS256,
        Some("a"),
        &claims("agent-7", &["agent"]),
    );
    assert!(verifier.verify(&token).await.is_ok());

    server.serve("<html>maintenance</html>".to_owned());
    tokio::time::sleep(Duration::from_millis(1_100)).await;

    assert!(
        verifier.verify(&token).await.is_ok(),
        "cached keys still serve"
    );
    assert!(verifier.refresh_keys().await.is_err());
}

#[test]
fn a_jwks_url_must_be_http_or_https() {
    let settings = AuthSettings {
        jwks_url: Some("ftp://idp.test/jwks.json".to_owned()),
        ..AuthSettings::default()
    };
    assert!(matches!(
        Verifier::new(&settings),
        Err(AuthError::Config(_))
    ));
}
