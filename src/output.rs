//! The output trees (`generated/`, `secrets/`): lock file, freshness check, diff and
//! atomic replacement.
//!
//! A write builds the complete new tree in a staging directory beside the output,
//! then swaps the two directories in one `renameat2(RENAME_EXCHANGE)` call. A
//! failure or a kill at any point leaves either the old tree or the new one.
//! Files that meshgen did not write (absent from the old lock file) are carried
//! over unchanged; files it wrote before and no longer renders are dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;

use crate::digest::sha256_hex;
use camino::{Utf8Path, Utf8PathBuf};

use crate::error::{Error, Result};

/// Lists every file meshgen wrote, in `sha256sum` format, so a reviewer can run
/// `sha256sum -c meshgen.lock` inside the output directory.
pub const LOCK_FILE: &str = "meshgen.lock";

/// The files of one output tree, keyed by path relative to its root.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    /// Path relative to the root (`dgraph/namespace-dgraph.yaml`) to content; the lock
    /// file included.
    pub files: BTreeMap<String, String>,
    /// Private trees (secrets/) get owner-only permissions: files 0600, directories 0700.
    pub private: bool,
}

impl Tree {
    /// A tree for `generated/`, with its lock file added.
    pub fn public(files: BTreeMap<String, String>) -> Self {
        Self::with_lock(files, false)
    }

    /// A tree for `secrets/` (owner-only permissions), with its lock file added.
    pub fn private(files: BTreeMap<String, String>) -> Self {
        Self::with_lock(files, true)
    }

    fn with_lock(mut files: BTreeMap<String, String>, private: bool) -> Self {
        files.remove(LOCK_FILE);
        let lock = lock_text(&files);
        files.insert(LOCK_FILE.to_string(), lock);
        Self { files, private }
    }
}

fn lock_text(files: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (path, content) in files {
        let _ = writeln!(out, "{}  {path}", sha256_hex(content.as_bytes()));
    }
    out
}

/// Paths listed in an existing lock file: the files meshgen owns in that directory.
fn owned_files(dir: &Utf8Path) -> BTreeSet<String> {
    let Ok(text) = fs::read_to_string(dir.join(LOCK_FILE)) else {
        return BTreeSet::new();
    };
    let mut owned: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p.to_string()))
        .filter(|p| is_relative_inside(p))
        .collect();
    owned.insert(LOCK_FILE.to_string());
    owned
}

/// Guards against a tampered lock file naming paths outside the directory.
fn is_relative_inside(path: &str) -> bool {
    let p = Utf8Path::new(path);
    p.is_relative() && p.components().all(|c| matches!(c, camino::Utf8Component::Normal(_)))
}

/// How one file on disk differs from what would be rendered. `Display` words it as a
/// check does (`missing`, `differs`, `stale`); [`Change::done`] as a write does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The render has the file; the directory does not.
    Added(String),
    /// Both have it, with different content.
    Modified(String),
    /// meshgen wrote it before and no longer renders it.
    Removed(String),
}

impl Change {
    /// The file's path relative to the output directory.
    pub fn path(&self) -> &str {
        match self {
            Change::Added(p) | Change::Modified(p) | Change::Removed(p) => p,
        }
    }

    /// The change as done by a write: `created`, `updated` or `removed`.
    pub fn done(&self) -> String {
        match self {
            Change::Added(p) => format!("created   {p}"),
            Change::Modified(p) => format!("updated   {p}"),
            Change::Removed(p) => format!("removed   {p}"),
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added(p) => write!(f, "missing   {p}"),
            Change::Modified(p) => write!(f, "differs   {p}"),
            Change::Removed(p) => write!(f, "stale     {p}"),
        }
    }
}

/// What a write would change in `dir`; empty when `dir` is up to date.
pub fn changes(dir: &Utf8Path, tree: &Tree) -> Vec<Change> {
    let mut out = Vec::new();
    for (path, content) in &tree.files {
        match fs::read(dir.join(path)) {
            Ok(bytes) if bytes == content.as_bytes() => {}
            Ok(_) => out.push(Change::Modified(path.clone())),
            Err(_) => out.push(Change::Added(path.clone())),
        }
    }
    for path in owned_files(dir) {
        if !tree.files.contains_key(&path) && dir.join(&path).exists() {
            out.push(Change::Removed(path));
        }
    }
    out
}

/// A unified diff of `dir` against `tree`, file by file, that `git apply` and
/// `patch -p1` accept: files are named `a/<shown>/<path>` and `b/<shown>/<path>`, and
/// `/dev/null` stands for the missing side of a created or removed file. With `color`,
/// removed lines are red, added lines green and headers bold (ANSI escapes).
pub fn diff(dir: &Utf8Path, tree: &Tree, shown: &str, color: bool) -> String {
    let paint = |code: &str, text: &str| match color {
        true => format!("\x1b[{code}m{text}\x1b[0m"),
        false => text.to_string(),
    };
    let shown = shown.trim_end_matches('/');
    let mut out = String::new();
    for change in changes(dir, tree) {
        let path = change.path();
        let old = fs::read_to_string(dir.join(path)).unwrap_or_default();
        let new = tree.files.get(path).cloned().unwrap_or_default();
        let (a, b) = match change {
            Change::Added(_) => ("/dev/null".to_string(), format!("b/{shown}/{path}")),
            Change::Removed(_) => (format!("a/{shown}/{path}"), "/dev/null".to_string()),
            Change::Modified(_) => (format!("a/{shown}/{path}"), format!("b/{shown}/{path}")),
        };
        let text = similar::TextDiff::from_lines(&old, &new)
            .unified_diff()
            .header(&a, &b)
            .to_string();
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches('\n');
            let painted = if line.starts_with("---") || line.starts_with("+++") {
                paint("1", body)
            } else if line.starts_with('-') {
                paint("31", body)
            } else if line.starts_with('+') {
                paint("32", body)
            } else if line.starts_with("@@") {
                paint("36", body)
            } else {
                body.to_string()
            };
            out.push_str(&painted);
            out.push('\n');
        }
    }
    out
}

/// Replaces the meshgen-owned files of `dir` with `tree`, atomically. Returns the
/// changes made; nothing is touched when there are none.
pub fn write(dir: &Utf8Path, tree: &Tree) -> Result<Vec<Change>> {
    recover(dir)?;
    let changes = changes(dir, tree);
    if changes.is_empty() {
        return Ok(changes);
    }
    let staging = sibling(dir, "staging");
    remove_dir_if_present(&staging)?;
    let result = build_staging(dir, &staging, tree).and_then(|()| swap_into_place(dir, &staging));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result.map(|()| changes)
}

/// A hidden directory next to `dir`, on the same filesystem so that renames are atomic.
fn sibling(dir: &Utf8Path, what: &str) -> Utf8PathBuf {
    let name = dir.file_name().unwrap_or("out");
    let parent = dir
        .parent()
        .filter(|p| !p.as_str().is_empty())
        .unwrap_or(Utf8Path::new("."));
    parent.join(format!(".{name}.meshgen-{what}"))
}

/// Finishes or undoes a swap that a kill interrupted.
fn recover(dir: &Utf8Path) -> Result<()> {
    let backup = sibling(dir, "backup");
    if backup.exists() {
        if dir.exists() {
            remove_dir_if_present(&backup)?;
        } else {
            fs::rename(&backup, dir).map_err(|e| Error::io(&backup, "cannot restore the previous output", e))?;
        }
    }
    remove_dir_if_present(&sibling(dir, "staging"))
}

fn remove_dir_if_present(path: &Utf8Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, "cannot remove leftover directory", e)),
    }
}

fn build_staging(dir: &Utf8Path, staging: &Utf8Path, tree: &Tree) -> Result<()> {
    create_dir(staging, tree.private)?;
    if dir.exists() {
        let owned = owned_files(dir);
        carry_over(dir, staging, Utf8Path::new(""), &owned)?;
    }
    for (path, content) in &tree.files {
        let target = staging.join(path);
        if let Some(parent) = target.parent() {
            create_dir(parent, tree.private)?;
        }
        write_file(&target, content.as_bytes(), tree.private)?;
    }
    Ok(())
}

/// Copies everything meshgen does not own from `dir` into `staging`.
fn carry_over(dir: &Utf8Path, staging: &Utf8Path, rel: &Utf8Path, owned: &BTreeSet<String>) -> Result<()> {
    let here = dir.join(rel);
    let entries = here.read_dir_utf8().map_err(|e| Error::io(&here, "cannot list", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&here, "cannot list", e))?;
        let rel_path = rel.join(entry.file_name());
        let file_type = entry
            .file_type()
            .map_err(|e| Error::io(entry.path(), "cannot stat", e))?;
        if file_type.is_dir() {
            carry_over(dir, staging, &rel_path, owned)?;
        } else if !owned.contains(rel_path.as_str()) {
            let target = staging.join(&rel_path);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, "cannot create directory", e))?;
            }
            fs::copy(entry.path(), &target).map_err(|e| Error::io(entry.path(), "cannot carry over", e))?;
        }
    }
    Ok(())
}

fn create_dir(path: &Utf8Path, private: bool) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| Error::io(path, "cannot create directory", e))?;
    set_mode(path, if private { 0o700 } else { 0o755 })
}

fn write_file(path: &Utf8Path, bytes: &[u8], private: bool) -> Result<()> {
    use std::io::Write;
    let mut file = fs::File::create(path).map_err(|e| Error::io(path, "cannot create", e))?;
    // Restrict before writing, so a private key is never readable by others.
    set_mode(path, if private { 0o600 } else { 0o644 })?;
    file.write_all(bytes).map_err(|e| Error::io(path, "cannot write", e))?;
    file.sync_all().map_err(|e| Error::io(path, "cannot sync", e))
}

#[cfg(unix)]
fn set_mode(path: &Utf8Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path, "cannot set permissions", e))
}

#[cfg(not(unix))]
fn set_mode(_path: &Utf8Path, _mode: u32) -> Result<()> {
    Ok(())
}

fn swap_into_place(dir: &Utf8Path, staging: &Utf8Path) -> Result<()> {
    if !dir.exists() {
        return fs::rename(staging, dir).map_err(|e| Error::io(dir, "cannot move the new output into place", e));
    }
    if exchange(staging, dir) {
        // `staging` now holds the old tree.
        return remove_dir_if_present(staging);
    }
    // No atomic exchange here: two renames, which `recover` completes if interrupted.
    let backup = sibling(dir, "backup");
    fs::rename(dir, &backup).map_err(|e| Error::io(dir, "cannot move the old output aside", e))?;
    fs::rename(staging, dir).map_err(|e| Error::io(dir, "cannot move the new output into place", e))?;
    remove_dir_if_present(&backup)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Utf8Path, b: &Utf8Path) -> bool {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a.as_std_path(), CWD, b.as_std_path(), RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Utf8Path, _b: &Utf8Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn tree(files: &[(&str, &str)]) -> Tree {
        Tree::public(files.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect())
    }

    fn temp() -> (tempfile::TempDir, Utf8PathBuf) {
        let t = tempfile::tempdir().expect("tempdir");
        let out = Utf8PathBuf::from_path_buf(t.path().join("generated")).expect("utf-8 temp path");
        (t, out)
    }

    #[test]
    fn lock_lists_every_file_with_its_digest() {
        let t = tree(&[("a/x.yaml", "x\n")]);
        let expected = format!("{:x}  a/x.yaml\n", Sha256::digest(b"x\n"));
        assert_eq!(t.files[LOCK_FILE], expected);
    }

    #[test]
    fn write_removes_stale_files_and_keeps_foreign_ones() {
        let (_t, out) = temp();
        write(&out, &tree(&[("a/old.yaml", "1"), ("a/keep.yaml", "2")])).expect("first write");
        fs::write(out.join("a/notes.txt"), "mine").expect("foreign file");
        let made = write(&out, &tree(&[("a/keep.yaml", "3")])).expect("second write");
        assert!(made.contains(&Change::Removed("a/old.yaml".into())), "{made:?}");
        assert!(!out.join("a/old.yaml").exists());
        assert_eq!(fs::read_to_string(out.join("a/keep.yaml")).expect("kept"), "3");
        assert_eq!(fs::read_to_string(out.join("a/notes.txt")).expect("foreign"), "mine");
        assert!(changes(&out, &tree(&[("a/keep.yaml", "3")])).is_empty());
    }

    #[test]
    fn interrupted_swap_is_recovered() {
        let (_t, out) = temp();
        write(&out, &tree(&[("a.yaml", "old")])).expect("write");
        // Simulate a kill between the two fallback renames: only the backup exists.
        fs::rename(&out, sibling(&out, "backup")).expect("move aside");
        fs::create_dir_all(sibling(&out, "staging")).expect("half-built staging");
        write(&out, &tree(&[("a.yaml", "new")])).expect("write after crash");
        assert_eq!(fs::read_to_string(out.join("a.yaml")).expect("file"), "new");
        assert!(!sibling(&out, "backup").exists() && !sibling(&out, "staging").exists());
    }

    #[test]
    fn private_trees_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let (_t, out) = temp();
        let t = Tree::private([("k/s.yaml".to_string(), "secret".to_string())].into());
        write(&out, &t).expect("write");
        let mode = fs::metadata(out.join("k/s.yaml")).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn lock_paths_outside_the_directory_are_ignored() {
        assert!(is_relative_inside("a/b.yaml"));
        assert!(!is_relative_inside("../etc/passwd"));
        assert!(!is_relative_inside("/etc/passwd"));
    }
}
