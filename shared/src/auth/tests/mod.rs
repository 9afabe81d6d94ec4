//! Tests of the auth module against real keys, a real HTTP JWKS endpoint and
//! the real layer; nothing of ours is mocked. Test keys live in
//! `shared/tests-data/auth/` and are test-only.

mod jwks_url;
mod layer;
mod server;
mod support;
mod verifier;
