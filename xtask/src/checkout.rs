//! Finding the meshgen checkout to work in, at run time.
//!
//! Never `env!("CARGO_MANIFEST_DIR")`: that is fixed when the binary is built, and with
//! a shared `CARGO_TARGET_DIR` cargo may run a binary built in another checkout. cargo
//! sets `CARGO_MANIFEST_DIR` in the environment of `cargo run` to the xtask package it
//! is running, which is the checkout the user typed the command in; without cargo (the
//! binary run by hand) the checkout is searched for upward from the working directory.

use camino::{Utf8Path, Utf8PathBuf};

/// A directory is a meshgen checkout when it has the workspace's xtask and default values.
fn is_checkout(dir: &Utf8Path) -> bool {
    dir.join("xtask/Cargo.toml").is_file() && dir.join("values/default.yaml").is_file()
}

/// The checkout: from cargo's run-time `CARGO_MANIFEST_DIR` (the xtask package, whose
/// parent is the checkout), else the nearest ancestor of `cwd` that is one.
pub(crate) fn find(cargo_manifest_dir: Option<&str>, cwd: &Utf8Path) -> Result<Utf8PathBuf, String> {
    if let Some(dir) = cargo_manifest_dir {
        let dir = Utf8Path::new(dir);
        let candidate = if is_checkout(dir) { Some(dir) } else { dir.parent() };
        if let Some(root) = candidate.filter(|d| is_checkout(d)) {
            return Ok(root.to_owned());
        }
    }
    cwd.ancestors()
        .find(|d| is_checkout(d))
        .map(Utf8Path::to_owned)
        .ok_or_else(|| {
            format!(
                "{cwd} is not inside a meshgen checkout (no xtask/Cargo.toml and values/default.yaml here or above)\n  \
                 help: run `cargo xtask` from inside your meshgen checkout"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout(dir: &Utf8Path) {
        std::fs::create_dir_all(dir.join("xtask")).expect("mkdir");
        std::fs::create_dir_all(dir.join("values")).expect("mkdir");
        std::fs::write(dir.join("xtask/Cargo.toml"), "").expect("write");
        std::fs::write(dir.join("values/default.yaml"), "").expect("write");
    }

    #[test]
    fn cargo_names_the_checkout_else_the_working_directory_does() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
        let (a, b) = (base.join("a"), base.join("b"));
        checkout(&a);
        checkout(&b);
        std::fs::create_dir_all(b.join("deep/er")).expect("mkdir");
        let xtask_of_a = a.join("xtask");
        assert_eq!(find(Some(xtask_of_a.as_str()), &b.join("deep/er")), Ok(a.clone()));
        assert_eq!(find(None, &b.join("deep/er")), Ok(b.clone()));
        assert_eq!(find(Some("/nonexistent/xtask"), &b), Ok(b.clone()));
        assert!(find(None, &base).is_err());
    }
}
