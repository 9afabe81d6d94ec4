//! Which operating-system user the private cluster runs as. PostgreSQL
//! refuses to run as root, so when we are root the server programs run as an
//! unprivileged user: `postgres` when the machine has one, else a system user
//! `redress` that we create. That user must own the cluster directory and be
//! able to walk the path down to it.

use std::fs::{self, Metadata};
use std::os::unix::fs::{MetadataExt, chown, lchown};
use std::path::Path;
use std::process::Command;

use nix::unistd::{User, getegid, geteuid};

use super::LocalPgError;

/// Name of the system user created when the machine has no `postgres` user.
const FALLBACK_USER: &str = "redress";

/// The user the server programs run as.
#[derive(Debug, Clone)]
pub(crate) struct RunAs {
    /// Login name, for messages.
    pub name: String,
    /// Numeric user id; never 0.
    pub uid: u32,
    /// Primary group id; the only group the server gets (std drops
    /// supplementary groups when switching user).
    pub gid: u32,
    /// Whether we must switch to this user (we are root) or already are it.
    pub switch: bool,
}

impl RunAs {
    /// The current user when not root; an unprivileged user (found or
    /// created) when root.
    pub(crate) fn resolve() -> Result<Self, LocalPgError> {
        let euid = geteuid();
        if !euid.is_root() {
            let name = User::from_uid(euid)
                .ok()
                .flatten()
                .map_or_else(|| euid.to_string(), |u| u.name);
            return Ok(Self {
                name,
                uid: euid.as_raw(),
                gid: getegid().as_raw(),
                switch: false,
            });
        }
        let user = match lookup("postgres")? {
            Some(user) => user,
            None => match lookup(FALLBACK_USER)? {
                Some(user) => user,
                None => create_fallback_user()?,
            },
        };
        if user.uid.is_root() {
            return Err(LocalPgError::User {
                reason: format!("user `{}` has uid 0", user.name),
            });
        }
        Ok(Self {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            switch: true,
        })
    }

    /// Makes `cmd` run as this user (a no-op when we already are it).
    pub(crate) fn apply(&self, cmd: &mut Command) {
        if self.switch {
            use std::os::unix::process::CommandExt;
            cmd.uid(self.uid).gid(self.gid);
        }
    }

    /// Fails with a clear message when this user cannot walk down to `dir`.
    pub(crate) fn check_traversable(&self, dir: &Path) -> Result<(), LocalPgError> {
        if !self.switch {
            return Ok(());
        }
        let real = dir
            .canonicalize()
            .map_err(LocalPgError::io("resolve", dir))?;
        for ancestor in real.ancestors().skip(1) {
            let meta = fs::metadata(ancestor).map_err(LocalPgError::io("inspect", ancestor))?;
            if !can_traverse(&meta, self.uid, self.gid) {
                return Err(LocalPgError::PathNotTraversable {
                    user: self.name.clone(),
                    blocked: ancestor.to_path_buf(),
                    data_dir: dir.to_path_buf(),
                });
            }
        }
        Ok(())
    }

    /// Gives `path` to this user (when we switch users), recursively when
    /// `recursive` and the top is owned by someone else.
    pub(crate) fn take_ownership(&self, path: &Path, recursive: bool) -> Result<(), LocalPgError> {
        if !self.switch {
            return Ok(());
        }
        let meta = fs::symlink_metadata(path).map_err(LocalPgError::io("inspect", path))?;
        if meta.uid() == self.uid && meta.gid() == self.gid {
            return Ok(());
        }
        lchown(path, Some(self.uid), Some(self.gid))
            .map_err(LocalPgError::io("change the owner of", path))?;
        if recursive && meta.is_dir() {
            for entry in fs::read_dir(path).map_err(LocalPgError::io("list", path))? {
                let entry = entry.map_err(LocalPgError::io("list", path))?;
                self.take_ownership(&entry.path(), true)?;
            }
        }
        Ok(())
    }

    /// Gives `path` to this user without inspecting it first.
    pub(crate) fn give(&self, path: &Path) -> Result<(), LocalPgError> {
        if self.switch {
            chown(path, Some(self.uid), Some(self.gid))
                .map_err(LocalPgError::io("change the owner of", path))?;
        }
        Ok(())
    }
}

/// Whether a user (uid, primary gid) may search a directory, by the POSIX
/// owner / group / other rule.
pub(crate) fn can_traverse(meta: &Metadata, uid: u32, gid: u32) -> bool {
    let mode = meta.mode();
    if meta.uid() == uid {
        mode & 0o100 != 0
    } else if meta.gid() == gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// A user by name, if present.
fn lookup(name: &str) -> Result<Option<User>, LocalPgError> {
    User::from_name(name).map_err(|errno| LocalPgError::User {
        reason: format!("could not look up user `{name}`: {errno}"),
    })
}

/// Creates the fallback system user; tolerates another process winning the race.
fn create_fallback_user() -> Result<User, LocalPgError> {
    tracing::info!(
        user = FALLBACK_USER,
        "creating a system user to run PostgreSQL"
    );
    let output = Command::new("useradd")
        .args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            FALLBACK_USER,
        ])
        .output();
    if let Some(user) = lookup(FALLBACK_USER)? {
        return Ok(user);
    }
    let reason = match output {
        Ok(output) => format!(
            "`useradd {FALLBACK_USER}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(error) => format!("could not run `useradd`: {error}"),
    };
    Err(LocalPgError::User {
        reason: format!(
            "{reason}; create an unprivileged user `{FALLBACK_USER}` or `postgres`, or run as a non-root user"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::unistd::{Gid, Uid};

    #[test]
    fn a_directory_closed_to_others_blocks_other_users() {
        let dir = std::env::temp_dir().join(format!("redress-traverse-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("make a dir");
        let me = Uid::effective().as_raw();
        let my_group = Gid::effective().as_raw();
        let stranger = me.wrapping_add(12_345);
        let strangers_group = my_group.wrapping_add(12_345);

        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod 700");
        let meta = fs::metadata(&dir).expect("stat");
        assert!(can_traverse(&meta, me, my_group));
        assert!(!can_traverse(&meta, stranger, strangers_group));

        let cluster = dir.join("cluster");
        fs::create_dir_all(&cluster).expect("make the cluster dir");
        let other_user = RunAs {
            name: "someone".to_owned(),
            uid: stranger,
            gid: strangers_group,
            switch: true,
        };
        let error = other_user
            .check_traversable(&cluster)
            .expect_err("the closed directory blocks the way");
        let message = error.to_string();
        assert!(message.contains(&*dir.to_string_lossy()), "{message}");
        assert!(message.contains("elsewhere"), "{message}");

        fs::set_permissions(&dir, fs::Permissions::from_mode(0o711)).expect("chmod 711");
        let meta = fs::metadata(&dir).expect("stat");
        assert!(can_traverse(&meta, stranger, strangers_group));
        fs::remove_dir_all(&dir).expect("clean up");
    }
}
