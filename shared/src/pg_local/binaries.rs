//! Finding the machine's PostgreSQL server programs. Distributions disagree on
//! where they live: Fedora and Homebrew put them on PATH, Debian and Ubuntu
//! keep them per major version under `/usr/lib/postgresql/<major>/bin`, the
//! PGDG packages for RHEL under `/usr/pgsql-<major>/bin`.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::LocalPgError;

/// The oldest major version the suite supports.
const MIN_MAJOR: u32 = 14;

/// Versioned install roots searched when PATH has no server binaries: a glob
/// prefix and suffix around the major version.
const VERSIONED_ROOTS: &[(&str, &str)] =
    &[("/usr/lib/postgresql/", "/bin"), ("/usr/pgsql-", "/bin")];

/// The server programs of one PostgreSQL installation.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    /// Directory holding `initdb`, `pg_ctl` and `postgres`; all three exist in it.
    pub bin_dir: PathBuf,
    /// Major version (15 for 15.4), at least 14.
    pub major: u32,
}

impl PgBinaries {
    /// Finds the binaries in `bin_dir` if given, else on PATH, else the
    /// highest version under the distributions' versioned directories, and
    /// checks the version.
    pub fn find(bin_dir: Option<&Path>) -> Result<Self, LocalPgError> {
        let dir = match bin_dir {
            Some(dir) if has_server_programs(dir) => dir.to_path_buf(),
            Some(dir) => {
                return Err(LocalPgError::BinariesNotFound {
                    searched: dir.display().to_string(),
                });
            }
            None => find_bin_dir(env::var_os("PATH").as_deref(), VERSIONED_ROOTS)?,
        };
        let major = major_version(&dir)?;
        if major < MIN_MAJOR {
            return Err(LocalPgError::UnsupportedVersion {
                found: major,
                bin_dir: dir,
            });
        }
        Ok(Self {
            bin_dir: dir,
            major,
        })
    }

    /// Path of one program of this installation.
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// Whether `dir` holds the three server programs.
fn has_server_programs(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|name| dir.join(name).is_file())
}

/// The first PATH entry with all three programs, else the highest version
/// under `roots`.
fn find_bin_dir(path_var: Option<&OsStr>, roots: &[(&str, &str)]) -> Result<PathBuf, LocalPgError> {
    if let Some(path_var) = path_var {
        // Resolve symlinks so a PATH entry like /usr/local/bin -> /usr/lib/postgresql/15/bin
        // yields the real installation, where pg_ctl also finds `postgres`.
        for dir in env::split_paths(path_var) {
            if has_server_programs(&dir) {
                let real = dir.join("pg_ctl").canonicalize().ok();
                let real_dir = real
                    .as_deref()
                    .and_then(Path::parent)
                    .filter(|d| has_server_programs(d));
                return Ok(real_dir.map_or(dir.clone(), Path::to_path_buf));
            }
        }
    }
    let mut best: Option<(u32, PathBuf)> = None;
    for (prefix, suffix) in roots {
        let prefix_path = Path::new(prefix);
        let (parent, stem) = match (prefix_path.parent(), prefix.rsplit('/').next()) {
            (Some(parent), Some(stem)) => (parent, stem),
            _ => continue,
        };
        let Ok(entries) = std::fs::read_dir(parent) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(version) = name.to_str().and_then(|n| n.strip_prefix(stem)) else {
                continue;
            };
            let Some(major) = version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok())
            else {
                continue;
            };
            let dir = entry.path().join(suffix.trim_start_matches('/'));
            if has_server_programs(&dir) && best.as_ref().is_none_or(|(b, _)| major > *b) {
                best = Some((major, dir));
            }
        }
    }
    best.map(|(_, dir)| dir)
        .ok_or_else(|| LocalPgError::BinariesNotFound {
            searched: roots
                .iter()
                .map(|(prefix, suffix)| format!("{prefix}*{suffix}"))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Major version from `pg_ctl --version` ("pg_ctl (PostgreSQL) 15.4 (Debian 15.4-1)").
fn major_version(dir: &Path) -> Result<u32, LocalPgError> {
    let program = dir.join("pg_ctl");
    let output = Command::new(&program)
        .arg("--version")
        .env("LC_ALL", "C")
        .output()
        .map_err(LocalPgError::io("run", &program))?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_major(&text).ok_or_else(|| LocalPgError::Command {
        program: "pg_ctl",
        verb: "--version",
        status: output.status.to_string(),
        output: format!("unexpected output {:?}", text.trim()),
    })
}

/// The major version in a `--version` line.
fn parse_major(text: &str) -> Option<u32> {
    let after = text.split(") ").nth(1)?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_line_gives_its_major_version() {
        assert_eq!(
            parse_major("pg_ctl (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n"),
            Some(15)
        );
        assert_eq!(parse_major("pg_ctl (PostgreSQL) 17beta1\n"), Some(17));
        assert_eq!(parse_major("garbage"), None);
    }

    #[test]
    fn without_binaries_the_error_says_how_to_install_them_or_use_a_url() {
        let empty = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-dir");
        let error = find_bin_dir(Some(empty.as_os_str()), &[("/nonexistent/pg-", "/bin")])
            .expect_err("nothing to find");
        let message = error.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(
            message.contains("dnf install postgresql-server"),
            "{message}"
        );
        assert!(message.contains("brew install postgresql"), "{message}");
        assert!(message.contains("REDRESS_DATABASE__URL"), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");
    }

    #[test]
    fn the_highest_versioned_install_wins() {
        let root = std::env::temp_dir().join(format!("redress-pg-bin-{}", std::process::id()));
        for version in ["9.6", "14", "16", "15"] {
            let bin = root.join(format!("pg-{version}")).join("bin");
            std::fs::create_dir_all(&bin).expect("make a fake bin dir");
            for program in ["initdb", "pg_ctl", "postgres"] {
                std::fs::write(bin.join(program), "").expect("make a fake program");
            }
        }
        let prefix = format!("{}/pg-", root.display());
        let found = find_bin_dir(None, &[(prefix.as_str(), "/bin")]);
        std::fs::remove_dir_all(&root).expect("clean up");
        assert_eq!(found.expect("found"), root.join("pg-16").join("bin"));
    }
}
