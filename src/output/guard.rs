//! Where an output tree may go. Checked before anything is read into a diff or
//! written, so that key material never lands where git can see it:
//!
//! - `secrets/` and `generated/` never contain each other, nor the certificate store;
//! - no output directory is, or holds, a git repository (`.git`): `--out` at a
//!   checkout's root would carry the whole checkout into staging;
//! - no symbolic link is followed: a link anywhere in an output tree, or an output
//!   directory that is one, is refused. A link could point at `certs/issuer.key`,
//!   and a render or a diff would then read the key into the tree or onto the screen.

use std::fs;

use camino::{Utf8Component, Utf8Path, Utf8PathBuf};

use crate::error::{Error, Result};

/// Refuses `dir` if it is a symbolic link, holds `.git`, or holds a link anywhere.
pub(crate) fn check_tree(dir: &Utf8Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return Ok(()); // absent: the write creates it
    };
    if meta.file_type().is_symlink() {
        return Err(refused(
            dir,
            "is a symbolic link; meshgen never follows links in its output",
            "pass the directory the link points to (its real path) instead",
        ));
    }
    if !meta.is_dir() {
        return Err(refused(
            dir,
            "is not a directory",
            "pass a directory, or a path that does not exist yet",
        ));
    }
    if dir.join(".git").exists() {
        return Err(refused(
            dir,
            "holds a git repository (.git); meshgen would carry the whole of it into its output",
            "pass a directory of its own, such as generated/ inside the checkout",
        ));
    }
    find_link(dir)
}

fn find_link(dir: &Utf8Path) -> Result<()> {
    let entries = dir.read_dir_utf8().map_err(|e| Error::io(dir, "cannot list", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "cannot list", e))?;
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(entry.path(), "cannot stat", e))?;
        if kind.is_symlink() {
            return Err(refused(
                entry.path(),
                "is a symbolic link inside an output tree; meshgen never follows links there",
                "remove the link, or replace it with the file itself",
            ));
        }
        if kind.is_dir() {
            find_link(entry.path())?;
        }
    }
    Ok(())
}

/// Refuses to write `generated` and `secrets` where one would hold the other (or the
/// same directory), or where either would hold the certificate store or sit in it.
pub(crate) fn check_placement(generated: &Utf8Path, secrets: &Utf8Path, certs: Option<&Utf8Path>) -> Result<()> {
    let (g, s) = (resolved(generated), resolved(secrets));
    let nested = |a: &Utf8Path, b: &Utf8Path| a.starts_with(b) || b.starts_with(a);
    if nested(&g, &s) {
        let message = if g == s {
            format!("is also the output for generated files ({generated}); the Secrets would be committed with them")
        } else if s.starts_with(&g) {
            format!("is inside the output for generated files ({generated}), which is committed")
        } else {
            format!("holds the output for generated files ({generated}), and both trees would share one lock")
        };
        return Err(refused(
            secrets,
            &message,
            "keep the two apart, e.g. --out generated --secrets-out secrets (gitignored)",
        ));
    }
    if let Some(certs) = certs {
        let c = resolved(certs);
        for (path, resolved_path) in [(generated, &g), (secrets, &s)] {
            if nested(resolved_path, &c) {
                return Err(refused(
                    path,
                    &format!("overlaps the certificate store ({certs}), which holds the private keys"),
                    "write the output elsewhere, e.g. generated/ and secrets/ beside certs/",
                ));
            }
        }
    }
    Ok(())
}

fn refused(path: &Utf8Path, message: &str, help: &str) -> Error {
    Error::Placement {
        path: path.to_string(),
        message: message.to_string(),
        help: help.to_string(),
    }
}

/// `path` made absolute, with its existing part resolved through the filesystem (so
/// `a/../b` and links above the tree compare by what they name) and the rest lexically.
pub fn resolved(path: &Utf8Path) -> Utf8PathBuf {
    let absolute = match std::env::current_dir()
        .ok()
        .and_then(|d| Utf8PathBuf::from_path_buf(d).ok())
    {
        Some(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_owned(),
    };
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(str::to_owned),
            existing.parent().map(Utf8Path::to_owned),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize_utf8().unwrap_or(existing);
    for part in rest.iter().rev() {
        for component in Utf8Path::new(part).components() {
            match component {
                Utf8Component::ParentDir => {
                    out.pop();
                }
                Utf8Component::Normal(c) => out.push(c),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> (tempfile::TempDir, Utf8PathBuf) {
        let t = tempfile::tempdir().expect("tempdir");
        let base = Utf8PathBuf::from_path_buf(t.path().to_path_buf()).expect("utf-8");
        (t, base)
    }

    #[test]
    fn the_trees_never_hold_each_other_or_the_keys() {
        let (_t, b) = temp();
        let (g, s, c) = (b.join("generated"), b.join("secrets"), b.join("certs"));
        assert!(check_placement(&g, &s, Some(&c)).is_ok());
        for (generated, secrets) in [
            (g.clone(), g.clone()),
            (g.clone(), g.join("secrets")),
            (s.join("generated"), s.clone()),
            (g.clone(), b.join("generated/../generated/x")),
        ] {
            let err = check_placement(&generated, &secrets, Some(&c)).expect_err("nested");
            assert!(err.to_string().contains("help:"), "{err}");
        }
        assert!(check_placement(&c.join("out"), &s, Some(&c)).is_err());
        assert!(
            check_placement(&g, &b, Some(&c)).is_err(),
            "secrets/ holding everything"
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_and_repositories_are_refused() {
        let (_t, b) = temp();
        let out = b.join("generated");
        fs::create_dir_all(out.join("linkerd")).expect("mkdir");
        assert!(check_tree(&out).is_ok());
        std::os::unix::fs::symlink(b.join("certs/issuer.key"), out.join("linkerd/x.yaml")).expect("link");
        let err = check_tree(&out).expect_err("a link inside").to_string();
        assert!(err.contains("linkerd/x.yaml") && err.contains("symbolic link"), "{err}");
        fs::remove_file(out.join("linkerd/x.yaml")).expect("unlink");
        std::os::unix::fs::symlink(&out, b.join("link")).expect("link");
        assert!(check_tree(&b.join("link")).is_err(), "a linked output directory");
        fs::create_dir(out.join(".git")).expect("mkdir");
        assert!(check_tree(&out)
            .expect_err(".git")
            .to_string()
            .contains("git repository"));
    }
}
