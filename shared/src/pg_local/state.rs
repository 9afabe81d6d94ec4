//! The cluster's state file: the port it listens on and the admin password,
//! remembered between runs so a reused cluster is reached the same way. The
//! file is private to the user who runs Redress (mode 0600); the server's own
//! user cannot read it.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rand::Rng;
use rand::distr::Alphanumeric;

use super::LocalPgError;
use crate::secret::Secret;

/// Length of generated admin passwords (alphanumeric, so no URL encoding).
const PASSWORD_LEN: usize = 32;

/// What a cluster's state file records.
#[derive(Debug, Clone)]
pub(crate) struct State {
    /// TCP port on 127.0.0.1; never 0.
    pub port: u16,
    /// Password of the `redress_admin` superuser; alphanumeric.
    pub password: Secret,
}

impl State {
    /// Reads the state file; `Ok(None)` when it does not exist.
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, LocalPgError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(LocalPgError::io("read", path)(error)),
        };
        let invalid = |reason: &str| LocalPgError::State {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        };
        let mut port = None;
        let mut password = None;
        for line in text.lines().map(str::trim) {
            if let Some(value) = line.strip_prefix("port=") {
                port = Some(
                    value
                        .parse::<u16>()
                        .map_err(|_| invalid("the port is not a number"))?,
                );
            } else if let Some(value) = line.strip_prefix("password=") {
                password = Some(Secret::new(value));
            }
        }
        match (port, password) {
            (Some(port), Some(password)) if port != 0 && !password.is_empty() => {
                Ok(Some(Self { port, password }))
            }
            _ => Err(invalid("it lacks the port or the password")),
        }
    }

    /// Writes the state file atomically with mode 0600.
    pub(crate) fn save(&self, path: &Path) -> Result<(), LocalPgError> {
        let tmp = path.with_extension("tmp");
        let _ = fs::remove_file(&tmp);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(LocalPgError::io("create", &tmp))?;
        let text = format!(
            "# Redress private PostgreSQL cluster: port and admin (redress_admin) password.\n\
             port={}\npassword={}\n",
            self.port,
            self.password.expose()
        );
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(LocalPgError::io("write", &tmp))?;
        fs::rename(&tmp, path).map_err(LocalPgError::io("replace", path))
    }
}

/// A fresh random admin password.
pub(crate) fn random_password() -> Secret {
    let password: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(PASSWORD_LEN)
        .map(char::from)
        .collect();
    Secret::new(password)
}

/// A port on 127.0.0.1 that is free right now.
pub(crate) fn free_port() -> Result<u16, LocalPgError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(LocalPgError::io("find a free port on", "127.0.0.1"))
}

/// Whether nothing listens on 127.0.0.1:`port`.
pub(crate) fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_file_round_trips_and_is_private() {
        let dir = std::env::temp_dir().join(format!("redress-state-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("make a dir");
        let path = dir.join("state");
        assert!(State::load(&path).expect("load").is_none());

        let state = State {
            port: 54_321,
            password: random_password(),
        };
        state.save(&path).expect("save");
        let loaded = State::load(&path).expect("load").expect("present");
        assert_eq!(loaded.port, 54_321);
        assert_eq!(loaded.password, state.password);
        assert_eq!(loaded.password.expose().len(), PASSWORD_LEN);

        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        fs::write(&path, "port=12\n").expect("damage");
        assert!(matches!(
            State::load(&path),
            Err(LocalPgError::State { .. })
        ));
        fs::remove_dir_all(&dir).expect("clean up");
    }
}
