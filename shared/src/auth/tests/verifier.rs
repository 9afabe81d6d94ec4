//! The verifier in both modes: what it accepts, and every way it refuses.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::support::{EC_A, JwksFile, RSA_A, RSA_B, claims, dev_verifier, jwk, jwks, now, signed};
use crate::auth::{
    AuthError, AuthSettings, Role, Verifier, generate_dev_secret, mint_dev_token, sign_dev_claims,
};
use crate::secret::Secret;

#[tokio::test]
async fn a_good_development_token_gives_its_caller() {
    let (secret, verifier) = dev_verifier();
    let token = mint_dev_token(
        &secret,
        "agent-7",
        &[Role::Supervisor, Role::Agent, Role::Agent],
        Some("billing"),
        Some("en-GB"),
        Duration::from_secs(600),
    )
    .expect("mint");

    let caller = verifier.verify(&token).await.expect("valid token");

    assert_eq!(caller.subject, "agent-7");
    assert_eq!(caller.roles, vec![Role::Agent, Role::Supervisor]);
    assert_eq!(caller.team.as_deref(), Some("billing"));
    assert_eq!(caller.locale.as_deref(), Some("en-GB"));
    assert_eq!(caller.end_user, None);
    assert_eq!(caller.token.expose(), token);
    assert!(verifier.is_development());
}

#[tokio::test]
async fn unknown_roles_in_a_token_are_ignored() {
    let (secret, verifier) = dev_verifier();
    let token =
        sign_dev_claims(&secret, &claims("agent-7", &["wizard", "agent", "ADMIN"])).expect("sign");

    let caller = verifier.verify(&token).await.expect("valid token");

    assert_eq!(caller.roles, vec![Role::Agent]);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (secret, verifier) = dev_verifier();
    let mut expired = claims("agent-7", &["agent"]);
    expired.iat = now() - 3_600;
    expired.exp = now() - 120; // beyond the 30 s leeway
    let token = sign_dev_claims(&secret, &expired).expect("sign");

    let error = verifier.verify(&token).await.expect_err("expired");

    assert!(matches!(error, AuthError::Expired), "{error:?}");
    assert_eq!(error.reason(), "TOKEN_EXPIRED");
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let (_, verifier) = dev_verifier();
    let other = generate_dev_secret();
    let token = sign_dev_claims(&other, &claims("agent-7", &["agent"])).expect("sign");

    let error = verifier.verify(&token).await.expect_err("wrong key");

    assert!(matches!(error, AuthError::BadSignature), "{error:?}");
    assert_eq!(error.reason(), "TOKEN_INVALID");
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let (_, verifier) = dev_verifier();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims("admin-1", &["admin"])).expect("json"));
    let token = format!("{header}.{payload}.");

    let error = verifier.verify(&token).await.expect_err("alg none");

    assert!(matches!(error, AuthError::AlgorithmNotAllowed), "{error:?}");
}

#[tokio::test]
async fn a_token_that_is_not_a_jwt_is_refused() {
    let (_, verifier) = dev_verifier();
    for token in ["", "abc", "a.b", "a.b.c.d", "!!!.e30.sig"] {
        let error = verifier.verify(token).await.expect_err("malformed");
        assert!(matches!(error, AuthError::Malformed), "{token}: {error:?}");
    }
}

#[tokio::test]
async fn a_token_without_a_subject_is_refused() {
    let (secret, verifier) = dev_verifier();
    let payload = serde_json::json!({ "roles": ["agent"], "exp": now() + 600, "iat": now() });
    let key = EncodingKey::from_secret(secret.expose().as_bytes());
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &payload, &key).expect("sign");

    let error = verifier.verify(&token).await.expect_err("no sub");

    assert!(
        matches!(&error, AuthError::MissingClaim(claim) if claim == "sub"),
        "{error:?}"
    );
}

#[tokio::test]
async fn issuer_and_audience_are_enforced_when_configured() {
    let secret = generate_dev_secret();
    let settings = AuthSettings {
        issuer: Some("https://idp.test".to_owned()),
        audience: Some("redress".to_owned()),
        ..AuthSettings::development(secret.clone())
    };
    let verifier = Verifier::new(&settings).expect("verifier");
    let mut good = claims("agent-7", &["agent"]);
    good.iss = Some("https://idp.test".to_owned());
    good.aud = Some(crate::auth::Audience::One("redress".to_owned()));

    let token = sign_dev_claims(&secret, &good).expect("sign");
    assert!(verifier.verify(&token).await.is_ok());

    let mut wrong_issuer = good.clone();
    wrong_issuer.iss = Some("https://evil.test".to_owned());
    let token = sign_dev_claims(&secret, &wrong_issuer).expect("sign");
    let error = verifier.verify(&token).await.expect_err("wrong iss");
    assert!(matches!(error, AuthError::WrongIssuer), "{error:?}");

    let mut wrong_audience = good.clone();
    wrong_audience.aud = Some(crate::auth::Audience::Many(vec!["other".to_owned()]));
    let token = sign_dev_claims(&secret, &wrong_audience).expect("sign");
    let error = verifier.verify(&token).await.expect_err("wrong aud");
    assert!(matches!(error, AuthError::WrongAudience), "{error:?}");

    let mut no_issuer = good;
    no_issuer.iss = None;
    let token = sign_dev_claims(&secret, &no_issuer).expect("sign");
    let error = verifier.verify(&token).await.expect_err("no iss");
    assert!(
        matches!(&error, AuthError::MissingClaim(claim) if claim == "iss"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_token_for_some_audience_is_refused_when_none_is_configured() {
    let (secret, verifier) = dev_verifier();
    let mut with_audience = claims("agent-7", &["agent"]);
    with_audience.aud = Some(crate::auth::Audience::One("another-app".to_owned()));
    let token = sign_dev_claims(&secret, &with_audience).expect("sign");

    let error = verifier.verify(&token).await.expect_err("unexpected aud");

    assert!(matches!(error, AuthError::WrongAudience), "{error:?}");
}

#[test]
fn exactly_one_mode_must_be_configured() {
    let jwks_file = JwksFile::new(&jwks(&[jwk(RSA_A, Algorithm::RS256, "a")]));
    let neither = AuthSettings::default();
    let both = AuthSettings {
        dev_secret: generate_dev_secret(),
        ..jwks_file.settings()
    };
    let file_and_url = AuthSettings {
        jwks_url: Some("https://idp.test/jwks.json".to_owned()),
        ..jwks_file.settings()
    };
    let short_secret = AuthSettings::development(Secret::new("too-short"));
    let no_refresh = AuthSettings {
        jwks_refresh_seconds: 0,
        ..jwks_file.settings()
    };

    for settings in [neither, both, file_and_url, short_secret, no_refresh] {
        let error = Verifier::new(&settings).expect_err("misconfigured");
        assert!(matches!(error, AuthError::Config(_)), "{error:?}");
    }
    assert!(Verifier::new(&jwks_file.settings()).is_ok());
}

#[test]
fn a_jwks_without_a_usable_key_is_a_configuration_error() {
    let oct = serde_json::json!({ "kty": "oct", "kid": "h", "k": "c2VjcmV0" });
    let mut rs384 = jwk(RSA_A, Algorithm::RS256, "rs384");
    rs384["alg"] = "RS384".into();
    let mut no_kid = jwk(RSA_A, Algorithm::RS256, "x");
    no_kid.as_object_mut().expect("object").remove("kid");
    let mut encryption = jwk(RSA_A, Algorithm::RS256, "enc");
    encryption["use"] = "enc".into();
    let file = JwksFile::new(&jwks(&[oct, rs384, no_kid, encryption]));

    let error = Verifier::new(&file.settings()).expect_err("no usable key");

    assert!(matches!(error, AuthError::Config(_)), "{error:?}");
}

fn jwks_file_with_rsa_a_and_ec_a() -> JwksFile {
    let odd = serde_json::json!({ "kty": "OKP", "kid": "ed", "crv": "Ed448", "x": "AAAA" });
    JwksFile::new(&jwks(&[
        odd,
        jwk(RSA_A, Algorithm::RS256, "rsa-a"),
        jwk(EC_A, Algorithm::ES256, "ec-a"),
    ]))
}

#[tokio::test]
async fn rs256_and_es256_tokens_verify_against_a_jwks_file() {
    let file = jwks_file_with_rsa_a_and_ec_a();
    let verifier = Verifier::new(&file.settings()).expect("verifier");
    let rsa = signed(
        RSA_A,
        Algorithm::RS256,
        Some("rsa-a"),
        &claims("agent-7", &["agent"]),
    );
    let ec = signed(
        EC_A,
        Algorithm::ES256,
        Some("ec-a"),
        &claims("svc-crisis", &["service"]),
    );

    assert_eq!(
        verifier.verify(&rsa).await.expect("rs256").subject,
        "agent-7"
    );
    assert_eq!(
        verifier.verify(&ec).await.expect("es256").roles,
        vec![Role::Service]
    );
    assert!(!verifier.is_development());
}

#[tokio::test]
async fn jwks_mode_refuses_unknown_kids_other_keys_and_confused_algorithms() {
    let file = jwks_file_with_rsa_a_and_ec_a();
    let verifier = Verifier::new(&file.settings()).expect("verifier");
    let body = claims("admin-1", &["admin"]);

    let unknown_kid = signed(RSA_A, Algorithm::RS256, Some("rsa-z"), &body);
    let no_kid = signed(RSA_A, Algorithm::RS256, None, &body);
    let other_key = signed(RSA_B, Algorithm::RS256, Some("rsa-a"), &body);
    let ec_under_rsa_kid = signed(EC_A, Algorithm::ES256, Some("rsa-a"), &body);
    // Algorithm confusion: HS256 keyed with the RSA key's public JWK text.
    let public = jwk(RSA_A, Algorithm::RS256, "rsa-a").to_string();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-a".to_owned());
    let hs256 = jsonwebtoken::encode(&header, &body, &EncodingKey::from_secret(public.as_bytes()))
        .expect("sign");
    let dev = sign_dev_claims(&generate_dev_secret(), &body).expect("sign");

    let cases = [
        (unknown_kid, "unknown kid"),
        (no_kid, "no kid"),
        (other_key, "other key"),
        (ec_under_rsa_kid, "ec under rsa kid"),
        (hs256, "hs256 confusion"),
        (dev, "dev token"),
    ];
    let mut errors = Vec::new();
    for (token, case) in &cases {
        let error = verifier.verify(token).await.expect_err(case);
        assert_eq!(error.reason(), "TOKEN_INVALID", "{case}: {error:?}");
        errors.push(error);
    }
    assert!(
        matches!(errors[0], AuthError::UnknownKey),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(errors[1], AuthError::UnknownKey),
        "{:?}",
        errors[1]
    );
    assert!(
        matches!(errors[2], AuthError::BadSignature),
        "{:?}",
        errors[2]
    );
    assert!(
        matches!(errors[3], AuthError::AlgorithmNotAllowed),
        "{:?}",
        errors[3]
    );
    assert!(
        matches!(errors[4], AuthError::AlgorithmNotAllowed),
        "{:?}",
        errors[4]
    );
    assert!(
        matches!(errors[5], AuthError::AlgorithmNotAllowed),
        "{:?}",
        errors[5]
    );
}

#[test]
fn development_secrets_are_random_and_long_enough() {
    let (one, two) = (generate_dev_secret(), generate_dev_secret());
    assert_ne!(one.expose(), two.expose());
    assert_eq!(one.expose().len(), 43);
    assert!(URL_SAFE_NO_PAD.decode(one.expose()).is_ok());
    assert!(mint_dev_token(&Secret::new("short"), "a", &[], None, None, Duration::ZERO).is_err());
    assert!(mint_dev_token(&one, " ", &[], None, None, Duration::ZERO).is_err());
}
