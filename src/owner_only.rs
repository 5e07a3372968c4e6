//! Owner-only permissions for the data dir and the files in it: the mirror holds private
//! issues, so on unix the directory is `0700` and the database, its WAL and shared-memory
//! files and the sync lock are `0600`, whatever the umask.
//!
//! Invariants:
//! - New files and the data dir are created with these modes (never created wider and
//!   narrowed afterwards); existing ones with wider modes are narrowed when opened.
//! - A directory that existed before and holds no IssueSync database is not changed:
//!   `--data-dir` pointing at some other directory must not re-permission it.
//! - Elsewhere than unix these are plain create/open calls.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates the data dir `0700` when missing (its parents as usual). An existing one is
/// narrowed to `0700` when it holds `marker` (the database), i.e. it is ours.
///
/// # Errors
/// The directory cannot be created or its mode read or set.
pub fn prepare_dir(dir: &Path, marker: &str) -> io::Result<()> {
    if !dir.exists() {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    if dir.join(marker).exists() {
        narrow(dir, 0o700)?;
    }
    Ok(())
}

/// Makes sure `path` is a file only its owner can read: creates it empty `0600` when
/// missing, narrows it to `0600` when it is wider.
///
/// # Errors
/// The file cannot be created or its mode read or set.
pub fn prepare_file(path: &Path) -> io::Result<()> {
    if path.exists() {
        narrow(path, 0o600)
    } else {
        open_private(path).map(drop)
    }
}

/// Narrows `path` to `0600` when it exists and is wider; a missing file is fine.
///
/// # Errors
/// The mode cannot be read or set.
pub fn narrow_file(path: &Path) -> io::Result<()> {
    match narrow(path, 0o600) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Opens `path` for writing without truncating it, creating it `0600`; an existing file
/// is narrowed to `0600`.
///
/// # Errors
/// The file cannot be opened or its mode set.
pub fn open_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    narrow(path, 0o600)?;
    Ok(file)
}

/// Sets `path` to `mode` when its group or others may do anything with it.
#[cfg(unix)]
fn narrow(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode();
    if current & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
