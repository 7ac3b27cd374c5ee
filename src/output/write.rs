//! Replacing an output tree, atomically and durably.
//!
//! The new tree is built in a staging directory beside the output: every file is
//! written, then all of them are flushed to the device in one call, then the staging
//! directory itself; only then are the two directories swapped with one
//! `renameat2(RENAME_EXCHANGE)`, and the parent directory, which holds that swap, is
//! flushed last. A power cut or a kill at any point leaves either the old tree or the
//! new one, never a mix, and a finished write survives a power cut.
//!
//! Files that meshgen did not write (absent from the old lock file) and directories
//! it did not make are carried over unchanged; files it wrote before and no longer
//! renders are dropped.

use std::collections::BTreeSet;
use std::fs;

use camino::{Utf8Path, Utf8PathBuf};

use super::disk::{Disk, RealDisk};
use super::{changes, owned_files, Change, Tree};
use crate::error::{Error, Result};

/// Replaces the meshgen-owned files of `dir` with `tree`. Returns the changes made;
/// nothing is touched, and nothing flushed, when there are none.
pub(crate) fn write(dir: &Utf8Path, tree: &Tree) -> Result<Vec<Change>> {
    write_with(&RealDisk, dir, tree)
}

pub(crate) fn write_with(disk: &dyn Disk, dir: &Utf8Path, tree: &Tree) -> Result<Vec<Change>> {
    recover(disk, dir)?;
    let changes = changes(dir, tree)?;
    if changes.is_empty() {
        return Ok(changes);
    }
    let staging = sibling(dir, "staging");
    let result = build_staging(disk, dir, &staging, tree)
        .and_then(|()| flush(disk, &staging))
        .and_then(|()| swap_into_place(disk, dir, &staging));
    if result.is_err() {
        let _ = disk.remove_tree(&staging);
    }
    result.map(|()| changes)
}

/// A hidden directory next to `dir`, on the same filesystem so that renames are atomic.
pub(super) fn sibling(dir: &Utf8Path, what: &str) -> Utf8PathBuf {
    let name = dir.file_name().unwrap_or("out");
    parent(dir).join(format!(".{name}.meshgen-{what}"))
}

fn parent(dir: &Utf8Path) -> &Utf8Path {
    dir.parent()
        .filter(|p| !p.as_str().is_empty())
        .unwrap_or(Utf8Path::new("."))
}

fn io<'a>(path: &'a Utf8Path, action: &'static str) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |e| Error::io(path, action, e)
}

/// Finishes or undoes a swap that a kill interrupted.
fn recover(disk: &dyn Disk, dir: &Utf8Path) -> Result<()> {
    let backup = sibling(dir, "backup");
    if backup.exists() {
        if dir.exists() {
            disk.remove_tree(&backup)
                .map_err(io(&backup, "cannot remove leftover directory"))?;
        } else {
            disk.rename(&backup, dir)
                .map_err(io(&backup, "cannot restore the previous output"))?;
        }
    }
    let staging = sibling(dir, "staging");
    disk.remove_tree(&staging)
        .map_err(io(&staging, "cannot remove leftover directory"))
}

fn modes(tree: &Tree) -> (u32, u32) {
    if tree.private {
        (0o700, 0o600)
    } else {
        (0o755, 0o644)
    }
}

fn build_staging(disk: &dyn Disk, dir: &Utf8Path, staging: &Utf8Path, tree: &Tree) -> Result<()> {
    let (dir_mode, file_mode) = modes(tree);
    create_ancestors(disk, parent(staging))?;
    disk.create_dir(staging, dir_mode)
        .map_err(io(staging, "cannot create directory"))?;
    let mut made = BTreeSet::new();
    let mut emptied = Vec::new();
    if dir.exists() {
        let owned = owned_files(dir, &tree.keep_clusters);
        let mut carry = Carry {
            disk,
            dir,
            staging,
            owned: &owned,
            made: &mut made,
            emptied: &mut emptied,
        };
        carry.over(Utf8Path::new(""))?;
    }
    for (path, content) in &tree.files {
        let target = staging.join(path);
        for ancestor in Utf8Path::new(path)
            .ancestors()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if !ancestor.as_str().is_empty() && made.insert(ancestor.to_owned()) {
                let d = staging.join(ancestor);
                disk.create_dir(&d, dir_mode)
                    .map_err(io(&d, "cannot create directory"))?;
            }
        }
        disk.write_file(&target, content.as_bytes(), file_mode)
            .map_err(io(&target, "cannot write"))?;
    }
    // A directory that held only files meshgen no longer writes goes with them (a
    // dropped bundle, the single cluster's tree after a switch to a fleet); the deepest
    // first, so that a parent emptied by its children's going goes too.
    for rel in emptied.iter().rev() {
        let target = staging.join(rel);
        let is_empty = target.read_dir_utf8().map(|mut d| d.next().is_none()).unwrap_or(false);
        if is_empty {
            disk.remove_tree(&target).map_err(io(&target, "cannot remove"))?;
        }
    }
    Ok(())
}

/// Creates the missing directories above the staging directory (`--out deep/new/dir`).
fn create_ancestors(disk: &dyn Disk, dir: &Utf8Path) -> Result<()> {
    let missing: Vec<&Utf8Path> = dir
        .ancestors()
        .take_while(|d| !d.as_str().is_empty() && !d.exists())
        .collect();
    for d in missing.into_iter().rev() {
        disk.create_dir(d, 0o755).map_err(io(d, "cannot create directory"))?;
    }
    Ok(())
}

/// Copying what meshgen does not own from `dir` into `staging`.
struct Carry<'a> {
    disk: &'a dyn Disk,
    dir: &'a Utf8Path,
    staging: &'a Utf8Path,
    owned: &'a BTreeSet<String>,
    made: &'a mut BTreeSet<Utf8PathBuf>,
    /// Directories that held something and now hold nothing carried over, in the
    /// order they were made: removed at the end if no new file lands in them.
    emptied: &'a mut Vec<Utf8PathBuf>,
}

impl Carry<'_> {
    /// Copies everything meshgen does not own below `rel`, directories included (an
    /// empty one too). Returns whether anything was there to carry. The guard has
    /// refused symbolic links already.
    fn over(&mut self, rel: &Utf8Path) -> Result<bool> {
        let here = self.dir.join(rel);
        let mut entries: Vec<_> = (here.read_dir_utf8().map_err(io(&here, "cannot list"))?)
            .collect::<std::io::Result<_>>()
            .map_err(io(&here, "cannot list"))?;
        entries.sort_by(|a, b| a.file_name().cmp(b.file_name()));
        let mut carried = entries.is_empty();
        for entry in entries {
            let rel_path = rel.join(entry.file_name());
            let kind = entry.file_type().map_err(io(entry.path(), "cannot stat"))?;
            if kind.is_dir() {
                let mode = fs::symlink_metadata(entry.path()).map_or(0o755, |m| permissions(&m));
                let target = self.staging.join(&rel_path);
                self.disk
                    .create_dir(&target, mode)
                    .map_err(io(&target, "cannot create directory"))?;
                self.made.insert(rel_path.clone());
                let index = self.emptied.len();
                if self.over(&rel_path)? {
                    carried = true;
                } else {
                    self.emptied.insert(index, rel_path);
                }
            } else if !self.owned.contains(rel_path.as_str()) {
                let bytes = fs::read(entry.path()).map_err(io(entry.path(), "cannot carry over"))?;
                let mode = fs::symlink_metadata(entry.path()).map_or(0o644, |m| permissions(&m));
                let target = self.staging.join(&rel_path);
                self.disk
                    .write_file(&target, &bytes, mode)
                    .map_err(io(&target, "cannot carry over"))?;
                carried = true;
            }
        }
        Ok(carried)
    }
}

#[cfg(unix)]
fn permissions(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn permissions(_meta: &fs::Metadata) -> u32 {
    0o644
}

/// Everything staged reaches the device before the swap makes it visible.
fn flush(disk: &dyn Disk, staging: &Utf8Path) -> Result<()> {
    disk.sync_all(staging).map_err(io(staging, "cannot sync"))?;
    disk.sync_dir(staging).map_err(io(staging, "cannot sync"))
}

fn swap_into_place(disk: &dyn Disk, dir: &Utf8Path, staging: &Utf8Path) -> Result<()> {
    let sync_parent = || {
        disk.sync_dir(parent(dir))
            .map_err(io(dir, "cannot sync the parent directory"))
    };
    if !dir.exists() {
        disk.rename(staging, dir)
            .map_err(io(dir, "cannot move the new output into place"))?;
        return sync_parent();
    }
    if disk
        .exchange(staging, dir)
        .map_err(io(dir, "cannot swap in the new output"))?
    {
        sync_parent()?;
        // `staging` now holds the old tree.
        return disk
            .remove_tree(staging)
            .map_err(io(staging, "cannot remove the old output"));
    }
    // No atomic exchange here: two renames, which `recover` completes if interrupted.
    let backup = sibling(dir, "backup");
    disk.rename(dir, &backup)
        .map_err(io(dir, "cannot move the old output aside"))?;
    disk.rename(staging, dir)
        .map_err(io(dir, "cannot move the new output into place"))?;
    sync_parent()?;
    disk.remove_tree(&backup)
        .map_err(io(&backup, "cannot remove the old output"))
}

#[cfg(test)]
mod tests {
    use super::super::disk::Recorder;
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        Tree::public(files.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect())
    }

    #[test]
    fn files_reach_the_device_before_the_swap_and_the_swap_before_the_end() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
        let out = base.join("generated");
        write(&out, &tree(&[("a/x.yaml", "old")])).expect("first write");
        let disk = Recorder {
            base: base.clone(),
            log: Default::default(),
        };
        write_with(&disk, &out, &tree(&[("a/x.yaml", "new"), ("b/y.yaml", "y")])).expect("write");
        let log = disk.log.into_inner();
        let at = |entry: &str| {
            log.iter()
                .position(|l| l == entry)
                .unwrap_or_else(|| panic!("no `{entry}` in {log:#?}"))
        };
        let writes: Vec<usize> = (0..log.len()).filter(|i| log[*i].starts_with("write ")).collect();
        assert_eq!(writes.len(), 3, "two files and the lock: {log:#?}");
        let synced = at("sync-all .generated.meshgen-staging");
        assert!(
            writes.iter().all(|w| *w < synced),
            "every file is written before the one sync: {log:#?}"
        );
        assert_eq!(
            log.iter().filter(|l| l.starts_with("sync-all")).count(),
            1,
            "one batched sync"
        );
        assert_eq!(synced + 1, at("sync-dir .generated.meshgen-staging"));
        let swapped = at("exchange generated");
        assert!(synced < swapped, "{log:#?}");
        assert_eq!(
            log[swapped + 1],
            "sync-dir ",
            "the parent (the base itself) holds the swap"
        );
        assert_eq!(
            log.last().map(String::as_str),
            Some("remove .generated.meshgen-staging")
        );
    }

    #[test]
    fn an_unchanged_tree_is_neither_written_nor_synced() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
        let out = base.join("generated");
        let t = tree(&[("a/x.yaml", "same")]);
        write(&out, &t).expect("first write");
        let disk = Recorder {
            base,
            log: Default::default(),
        };
        assert!(write_with(&disk, &out, &t).expect("write").is_empty());
        let log = disk.log.into_inner();
        assert!(
            log.iter().all(|l| l.starts_with("remove ")),
            "only leftover clean-up: {log:#?}"
        );
    }
}
