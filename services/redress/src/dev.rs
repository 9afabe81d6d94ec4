//! The development secret and tokens. `redress up` keeps an HS256 secret in
//! `.redress/dev-secret` (created on first use, readable by the owner only);
//! `redress token` and the client subcommands sign tokens with it, so a
//! developer never copies a token by hand. Configuring `auth.dev_secret` or a
//! JWKS overrides the file.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use redress_platform::Secret;
use redress_platform::auth::{AuthSettings, Role, generate_dev_secret, mint_dev_token};
use redress_platform::config::Config;

/// Where the development secret lives, beside the private cluster.
pub fn secret_path(config: &Config) -> PathBuf {
    let data_dir = &config.platform.database.local_data_dir;
    data_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new(".redress"))
        .join("dev-secret")
}

/// The configured development secret, else the file's, created if absent.
pub fn secret(config: &Config) -> anyhow::Result<Secret> {
    if !config.platform.auth.dev_secret.is_empty() {
        return Ok(config.platform.auth.dev_secret.clone());
    }
    let path = secret_path(config);
    if let Ok(text) = fs::read_to_string(&path) {
        let text = text.trim();
        if !text.is_empty() {
            return Ok(Secret::new(text));
        }
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let secret = generate_dev_secret();
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(secret.expose().as_bytes())?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
    Ok(secret)
}

/// The authentication settings to run with: as configured when a JWKS or a
/// secret is set, else development mode with the file's secret.
pub fn auth_settings(config: &Config) -> anyhow::Result<AuthSettings> {
    let auth = &config.platform.auth;
    if auth.jwks_file.is_some() || auth.jwks_url.is_some() || !auth.dev_secret.is_empty() {
        return Ok(auth.clone());
    }
    Ok(AuthSettings {
        dev_secret: secret(config)?,
        ..auth.clone()
    })
}

/// Mints a development token.
pub fn mint(
    config: &Config,
    subject: &str,
    roles: &[Role],
    team: Option<&str>,
    locale: Option<&str>,
    hours: u64,
) -> anyhow::Result<Secret> {
    let secret = secret(config)?;
    let token = mint_dev_token(
        &secret,
        subject,
        roles,
        team,
        locale,
        Duration::from_secs(hours * 3600),
    )?;
    Ok(Secret::new(token))
}
