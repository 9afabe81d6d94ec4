//! Deriving one database URL from another: the same server and parameters
//! with a service's credentials ([`login_url`]) or another database
//! ([`database_url`]), plus deterministic per-role passwords
//! ([`derive_password`]) so development and tests need not store one per
//! service. URLs are kept as text (configuration holds URLs) and rewritten
//! part by part, so whatever the operator wrote (TLS parameters, options)
//! survives; the result is checked by sqlx's own parser.

use std::str::FromStr;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::postgres::PgConnectOptions;

use super::DbError;
use crate::secret::Secret;

/// Query parameters that carry credentials and would override the user info.
const CREDENTIAL_PARAMS: &[&str] = &["user", "password"];

/// `admin_url` with `role` / `password` as credentials instead: same host,
/// port, database and parameters.
pub fn login_url(admin_url: &Secret, role: &str, password: &Secret) -> Result<Secret, DbError> {
    let url = PgUrl::parse(admin_url.expose())?;
    let mut query = url.query_without(CREDENTIAL_PARAMS);
    let userinfo = if url.host_port.is_empty() {
        // A unix-socket URL (`postgres:///db?host=/run/postgresql`) has no
        // authority to hold user info; libpq-style parameters do the job.
        query.push(format!("user={}", encode(role)));
        query.push(format!("password={}", encode(password.expose())));
        None
    } else {
        Some(format!("{}:{}", encode(role), encode(password.expose())))
    };
    let text = url.render(userinfo.as_deref(), url.path, &query);
    let options = parse_options(&text)?;
    if options.get_username() != role {
        return Err(DbError::InvalidUrl {
            reason: "the rewritten URL does not name the login role".to_owned(),
        });
    }
    Ok(Secret::new(text))
}

/// `url` pointing at `database` instead, credentials and parameters kept.
pub fn database_url(url: &Secret, database: &str) -> Result<Secret, DbError> {
    let parsed = PgUrl::parse(url.expose())?;
    let query = parsed.query_without(&["dbname"]);
    let path = format!("/{}", encode(database));
    let text = parsed.render(parsed.userinfo, &path, &query);
    let options = parse_options(&text)?;
    if options.get_database() != Some(database) {
        return Err(DbError::InvalidUrl {
            reason: "the rewritten URL does not name the database".to_owned(),
        });
    }
    Ok(Secret::new(text))
}

/// A role's password derived from one secret: hex HMAC-SHA256(secret, role).
/// The same secret and role always give the same password.
pub fn derive_password(secret: &Secret, role: &str) -> Secret {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(role.as_bytes());
    Secret::new(hex::encode(mac.finalize().into_bytes()))
}

/// sqlx's reading of a URL, its error reduced to a reason without the URL.
pub(super) fn parse_options(url: &str) -> Result<PgConnectOptions, DbError> {
    PgConnectOptions::from_str(url).map_err(|error| DbError::InvalidUrl {
        reason: error.to_string(),
    })
}

/// A postgres URL split into the raw (still percent-encoded) parts we rewrite.
#[derive(Debug)]
struct PgUrl<'a> {
    /// `postgres` or `postgresql`.
    scheme: &'a str,
    /// User info before `@`, if any.
    userinfo: Option<&'a str>,
    /// Host and port; empty for unix-socket URLs.
    host_port: &'a str,
    /// `""` or `/database`.
    path: &'a str,
    /// The `key=value` pairs of the query, in order.
    query: Vec<&'a str>,
    /// After `#`, if any.
    fragment: Option<&'a str>,
}

impl<'a> PgUrl<'a> {
    fn parse(url: &'a str) -> Result<Self, DbError> {
        let (scheme, rest) = url
            .split_once("://")
            .filter(|(scheme, _)| matches!(*scheme, "postgres" | "postgresql"))
            .ok_or_else(|| DbError::InvalidUrl {
                reason: "it must start with postgres:// or postgresql://".to_owned(),
            })?;
        let (rest, fragment) = match rest.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (rest, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, query.split('&').filter(|p| !p.is_empty()).collect()),
            None => (rest, Vec::new()),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        Ok(Self {
            scheme,
            userinfo,
            host_port,
            path,
            query,
            fragment,
        })
    }

    /// The query pairs whose key is not in `keys`.
    fn query_without(&self, keys: &[&str]) -> Vec<String> {
        self.query
            .iter()
            .filter(|pair| !keys.contains(&pair.split('=').next().unwrap_or_default()))
            .map(|pair| (*pair).to_owned())
            .collect()
    }

    fn render(&self, userinfo: Option<&str>, path: &str, query: &[String]) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(userinfo) = userinfo {
            out.push_str(userinfo);
            out.push('@');
        }
        out.push_str(self.host_port);
        out.push_str(path);
        if !query.is_empty() {
            if path.is_empty() {
                out.push('/');
            }
            out.push('?');
            out.push_str(&query.join("&"));
        }
        if let Some(fragment) = self.fragment {
            out.push('#');
            out.push_str(fragment);
        }
        out
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn a_login_url_keeps_the_server_and_parameters_and_swaps_the_credentials() {
        let admin = Secret::new(
            "postgres://admin:s3cret@db.example:6543/redress?sslmode=require&application_name=x",
        );
        let url = login_url(&admin, "redress_customers", &Secret::new("pw")).expect("rewritten");
        assert_eq!(
            url.expose(),
            "postgres://redress_customers:pw@db.example:6543/redress?sslmode=require&application_name=x"
        );
    }

    #[test]
    fn awkward_passwords_are_percent_encoded_and_read_back_intact() {
        let admin = Secret::new("postgresql://admin@127.0.0.1/postgres");
        let password = "p@ss:w/rd?#%&=+ é";
        let url = login_url(&admin, "redress_crisis", &Secret::new(password)).expect("rewritten");
        let userinfo = url
            .expose()
            .strip_prefix("postgresql://")
            .and_then(|rest| rest.split_once('@'))
            .map(|(userinfo, _)| userinfo)
            .expect("user info");
        let (user, pass) = userinfo.split_once(':').expect("user:password");
        assert_eq!(decode(user), "redress_crisis");
        assert_eq!(decode(pass), password);
        let options = parse_options(url.expose()).expect("sqlx reads it");
        assert_eq!(options.get_host(), "127.0.0.1");
        assert_eq!(options.get_database(), Some("postgres"));
    }

    #[test]
    fn credentials_in_the_query_are_dropped() {
        let admin = Secret::new("postgres://localhost/app?user=admin&password=x&sslmode=disable");
        let url =
            login_url(&admin, "redress_notifications", &Secret::new("pw")).expect("rewritten");
        assert_eq!(
            url.expose(),
            "postgres://redress_notifications:pw@localhost/app?sslmode=disable"
        );
    }

    #[test]
    fn a_unix_socket_url_gets_its_credentials_as_parameters() {
        let admin = Secret::new("postgres:///app?host=%2Fvar%2Frun%2Fpostgresql");
        let url = login_url(&admin, "redress_complaints", &Secret::new("pw")).expect("rewritten");
        assert_eq!(
            url.expose(),
            "postgres:///app?host=%2Fvar%2Frun%2Fpostgresql&user=redress_complaints&password=pw"
        );
        let options = parse_options(url.expose()).expect("sqlx reads it");
        assert_eq!(options.get_username(), "redress_complaints");
    }

    #[test]
    fn a_database_url_names_the_other_database() {
        let url = Secret::new("postgres://a:b@h:1/postgres?dbname=postgres&sslmode=disable");
        let other = database_url(&url, "redress_test_1").expect("rewritten");
        assert_eq!(
            other.expose(),
            "postgres://a:b@h:1/redress_test_1?sslmode=disable"
        );
        let bare = database_url(&Secret::new("postgres://h"), "x").expect("rewritten");
        assert_eq!(bare.expose(), "postgres://h/x");
    }

    #[test]
    fn a_bad_url_is_rejected_without_echoing_it() {
        let error = login_url(
            &Secret::new("mysql://root:hunter2@h/db"),
            "r",
            &Secret::new("p"),
        )
        .expect_err("not postgres");
        assert!(!error.to_string().contains("hunter2"));
        let error = login_url(
            &Secret::new("postgres://root:hunter2@h:notaport/db"),
            "r",
            &Secret::new("p"),
        )
        .expect_err("bad port");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn derived_passwords_are_stable_per_role_and_secret() {
        let secret = Secret::new("cluster secret");
        let a = derive_password(&secret, "redress_customers");
        assert_eq!(a, derive_password(&secret, "redress_customers"));
        assert_ne!(a, derive_password(&secret, "redress_crisis"));
        assert_ne!(
            a,
            derive_password(&Secret::new("other"), "redress_customers")
        );
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|b| b.is_ascii_hexdigit()));
        // RFC 4231 test case 2.
        assert_eq!(
            derive_password(&Secret::new("Jefe"), "what do ya want for nothing?").expose(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
