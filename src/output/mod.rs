//! The output trees (`generated/`, `secrets/`): lock file, freshness check, diff,
//! where a tree may go ([`guard`]), and its durable, atomic replacement ([`write`]).
//!
//! meshgen never follows a symbolic link in an output tree: a link anywhere in it, or
//! an output directory that is one, stops the write and the check with an error, so no
//! file outside the tree is ever read into a diff or copied into the tree.

mod disk;
pub(crate) mod guard;
mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;

use crate::digest::sha256_hex;
use camino::Utf8Path;

use crate::error::Result;

pub use guard::resolved;
pub(crate) use write::write;

/// Lists every file meshgen wrote, in `sha256sum` format, so a reviewer can run
/// `sha256sum -c meshgen.lock` inside the output directory.
pub(crate) const LOCK_FILE: &str = "meshgen.lock";

/// The files of one output tree, keyed by path relative to its root.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    /// Path relative to the root (`dgraph/namespace-dgraph.yaml`) to content; the lock
    /// file included.
    pub files: BTreeMap<String, String>,
    /// Private trees (secrets/) get owner-only permissions: files 0600, directories 0700.
    pub private: bool,
    /// The clusters of a fleet whose trees (`clusters/<name>/`) sit below this one and
    /// are written on their own. Any other cluster tree below it is stale: a fleet's
    /// from before a single-cluster render, or a cluster the fleet no longer lists.
    pub(crate) keep_clusters: Vec<String>,
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
        Self {
            files,
            private,
            keep_clusters: Vec::new(),
        }
    }

    /// The top of a fleet's tree: no file of its own, and the trees of `clusters`
    /// below it. Written, it removes what a single-cluster render left there and the
    /// trees of clusters the fleet no longer lists.
    pub(crate) fn fleet_top(clusters: Vec<String>, private: bool) -> Self {
        Self {
            files: BTreeMap::new(),
            private,
            keep_clusters: clusters,
        }
    }
}

fn lock_text(files: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (path, content) in files {
        let _ = writeln!(out, "{}  {path}", sha256_hex(content.as_bytes()));
    }
    out
}

/// The files meshgen owns in `dir`, which a write there may replace or remove: those
/// its lock file lists, and those of every fleet cluster tree below it
/// (`clusters/<name>/`, with a lock file of its own) but the trees of `keep`.
pub(crate) fn owned_files(dir: &Utf8Path, keep: &[String]) -> BTreeSet<String> {
    let mut owned = locked_files(dir);
    let Ok(clusters) = dir.join(CLUSTERS_DIR).read_dir_utf8() else {
        return owned;
    };
    let mut names: Vec<String> = clusters
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string())
        .filter(|name| !keep.contains(name))
        .collect();
    names.sort();
    for name in names {
        let prefix = format!("{CLUSTERS_DIR}/{name}");
        owned.extend(
            locked_files(&dir.join(&prefix))
                .into_iter()
                .map(|p| format!("{prefix}/{p}")),
        );
    }
    owned
}

/// Where a fleet's cluster trees sit below the output directory.
pub(crate) const CLUSTERS_DIR: &str = "clusters";

/// Paths listed in an existing lock file, and the lock file itself; none without one.
fn locked_files(dir: &Utf8Path) -> BTreeSet<String> {
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

    /// The same change, its path under `prefix` (`clusters/east/`).
    #[must_use]
    pub fn prefixed(self, prefix: &str) -> Self {
        match self {
            Change::Added(p) => Change::Added(format!("{prefix}{p}")),
            Change::Modified(p) => Change::Modified(format!("{prefix}{p}")),
            Change::Removed(p) => Change::Removed(format!("{prefix}{p}")),
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

/// What a write would change in `dir`; empty when `dir` is up to date. Fails on a
/// symbolic link in the tree, which is never followed.
pub(crate) fn changes(dir: &Utf8Path, tree: &Tree) -> Result<Vec<Change>> {
    guard::check_tree(dir)?;
    let mut out = Vec::new();
    for (path, content) in &tree.files {
        match fs::read(dir.join(path)) {
            Ok(bytes) if bytes == content.as_bytes() => {}
            Ok(_) => out.push(Change::Modified(path.clone())),
            Err(_) => out.push(Change::Added(path.clone())),
        }
    }
    for path in owned_files(dir, &tree.keep_clusters) {
        if !tree.files.contains_key(&path) && dir.join(&path).exists() {
            out.push(Change::Removed(path));
        }
    }
    Ok(out)
}

/// A unified diff of `dir` against `tree`, file by file, that `git apply` and
/// `patch -p1` accept: files are named `a/<shown>/<path>` and `b/<shown>/<path>`, and
/// `/dev/null` stands for the missing side of a created or removed file. With `color`,
/// removed lines are red, added lines green and headers bold (ANSI escapes).
pub(crate) fn diff(dir: &Utf8Path, tree: &Tree, shown: &str, color: bool) -> Result<String> {
    let paint = |code: &str, text: &str| match color {
        true => format!("\x1b[{code}m{text}\x1b[0m"),
        false => text.to_string(),
    };
    let shown = shown.trim_end_matches('/');
    let mut out = String::new();
    for change in changes(dir, tree)? {
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
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::write::sibling;
    use super::*;
    use camino::Utf8PathBuf;
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
        fs::create_dir(out.join("empty")).expect("foreign directory");
        write(&out, &tree(&[("a/keep.yaml", "4")])).expect("third write");
        assert!(out.join("empty").is_dir(), "an empty foreign directory is kept");
        assert!(changes(&out, &tree(&[("a/keep.yaml", "4")])).expect("check").is_empty());
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
