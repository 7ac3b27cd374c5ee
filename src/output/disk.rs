//! The filesystem operations a write performs, behind a trait, so that a test can
//! record them and check their order (durability depends on it) without a power cut.
//! Reads go straight to `std::fs`: only the order of changes matters here.

use std::fs;
use std::io::{self, Write as _};

use camino::Utf8Path;

/// Every change a write makes to the disk.
pub(crate) trait Disk {
    /// Creates one directory (its parent exists) with `mode`.
    fn create_dir(&self, path: &Utf8Path, mode: u32) -> io::Result<()>;
    /// Creates a file, restricts it to `mode`, then writes `bytes`; no sync.
    fn write_file(&self, path: &Utf8Path, bytes: &[u8], mode: u32) -> io::Result<()>;
    /// Flushes everything written so far to the device: one call for the whole tree.
    fn sync_all(&self, tree: &Utf8Path) -> io::Result<()>;
    /// Flushes a directory's entries (a rename or a created file in it).
    fn sync_dir(&self, dir: &Utf8Path) -> io::Result<()>;
    /// Swaps two directories atomically; `Ok(false)` where the system cannot.
    fn exchange(&self, a: &Utf8Path, b: &Utf8Path) -> io::Result<bool>;
    /// Renames `from` to `to`.
    fn rename(&self, from: &Utf8Path, to: &Utf8Path) -> io::Result<()>;
    /// Removes a directory and everything in it.
    fn remove_tree(&self, path: &Utf8Path) -> io::Result<()>;
}

/// The real filesystem.
pub(crate) struct RealDisk;

impl Disk for RealDisk {
    fn create_dir(&self, path: &Utf8Path, mode: u32) -> io::Result<()> {
        match fs::create_dir(path) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            other => other?,
        }
        set_mode(path, mode)
    }

    fn write_file(&self, path: &Utf8Path, bytes: &[u8], mode: u32) -> io::Result<()> {
        let mut file = fs::File::create(path)?;
        // Restrict before writing, so a private key is never readable by others.
        set_mode(path, mode)?;
        file.write_all(bytes)
    }

    #[cfg(target_os = "linux")]
    fn sync_all(&self, tree: &Utf8Path) -> io::Result<()> {
        // syncfs flushes the whole filesystem the tree is on in one call: the files and
        // the directory entries of the staged tree together, instead of an fsync each.
        let dir = fs::File::open(tree)?;
        rustix::fs::syncfs(&dir).map_err(io::Error::from)
    }

    #[cfg(not(target_os = "linux"))]
    fn sync_all(&self, tree: &Utf8Path) -> io::Result<()> {
        sync_recursively(tree)
    }

    fn sync_dir(&self, dir: &Utf8Path) -> io::Result<()> {
        fs::File::open(dir)?.sync_all()
    }

    #[cfg(target_os = "linux")]
    fn exchange(&self, a: &Utf8Path, b: &Utf8Path) -> io::Result<bool> {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, a.as_std_path(), CWD, b.as_std_path(), RenameFlags::EXCHANGE) {
            Ok(()) => Ok(true),
            // Filesystems without RENAME_EXCHANGE (some network and FUSE ones).
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn exchange(&self, _a: &Utf8Path, _b: &Utf8Path) -> io::Result<bool> {
        Ok(false)
    }

    fn rename(&self, from: &Utf8Path, to: &Utf8Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_tree(&self, path: &Utf8Path) -> io::Result<()> {
        match fs::remove_dir_all(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn sync_recursively(dir: &Utf8Path) -> io::Result<()> {
    for entry in dir.read_dir_utf8()? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_recursively(entry.path())?;
        } else {
            fs::File::open(entry.path())?.sync_all()?;
        }
    }
    fs::File::open(dir)?.sync_all()
}

#[cfg(unix)]
fn set_mode(path: &Utf8Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Utf8Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Records each change (operation and path relative to `base`) and performs it.
#[cfg(test)]
pub(crate) struct Recorder {
    pub base: camino::Utf8PathBuf,
    pub log: std::cell::RefCell<Vec<String>>,
}

#[cfg(test)]
impl Recorder {
    fn note(&self, op: &str, path: &Utf8Path) {
        let rel = path.strip_prefix(&self.base).unwrap_or(path);
        self.log.borrow_mut().push(format!("{op} {rel}"));
    }
}

#[cfg(test)]
impl Disk for Recorder {
    fn create_dir(&self, path: &Utf8Path, mode: u32) -> io::Result<()> {
        self.note("mkdir", path);
        RealDisk.create_dir(path, mode)
    }
    fn write_file(&self, path: &Utf8Path, bytes: &[u8], mode: u32) -> io::Result<()> {
        self.note("write", path);
        RealDisk.write_file(path, bytes, mode)
    }
    fn sync_all(&self, tree: &Utf8Path) -> io::Result<()> {
        self.note("sync-all", tree);
        RealDisk.sync_all(tree)
    }
    fn sync_dir(&self, dir: &Utf8Path) -> io::Result<()> {
        self.note("sync-dir", dir);
        RealDisk.sync_dir(dir)
    }
    fn exchange(&self, a: &Utf8Path, b: &Utf8Path) -> io::Result<bool> {
        self.note("exchange", b);
        RealDisk.exchange(a, b)
    }
    fn rename(&self, from: &Utf8Path, to: &Utf8Path) -> io::Result<()> {
        self.note("rename", to);
        RealDisk.rename(from, to)
    }
    fn remove_tree(&self, path: &Utf8Path) -> io::Result<()> {
        self.note("remove", path);
        RealDisk.remove_tree(path)
    }
}
