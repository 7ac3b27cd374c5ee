//! Where a command works: the meshgen checkout and the working directory, how paths
//! given on the command line resolve against them, and how messages name paths.

use camino::{Utf8Path, Utf8PathBuf};

use crate::checkout;

/// What every command needs: the checkout it works in and the directory it runs from.
pub(crate) struct Place {
    /// The meshgen checkout; default paths are taken from it.
    pub root: Utf8PathBuf,
    /// The working directory; relative paths given on the command line are taken from it.
    pub cwd: Utf8PathBuf,
}

impl Place {
    /// The process's working directory, and the checkout found from it and cargo's
    /// run-time `CARGO_MANIFEST_DIR` (see [`checkout::find`]).
    pub(crate) fn here() -> Result<Self, String> {
        let cwd = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
        let cwd = Utf8PathBuf::from_path_buf(cwd)
            .map_err(|d| format!("the working directory {} is not UTF-8", d.display()))?;
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok();
        let root = checkout::find(manifest_dir.as_deref(), &cwd)?;
        Ok(Self { root, cwd })
    }

    /// A path given on the command line (absolute, or taken from the working
    /// directory), or the default under the checkout.
    pub(crate) fn path(&self, given: Option<&Utf8Path>, default: &str) -> Utf8PathBuf {
        match given {
            Some(p) if p.is_absolute() => p.to_owned(),
            Some(p) => self.cwd.join(p),
            None => self.root.join(default),
        }
    }

    /// How to name `path` in messages: relative to the checkout when inside it, else to
    /// the working directory when inside that, else whole.
    pub(crate) fn shown(&self, path: &Utf8Path) -> Utf8PathBuf {
        (path.strip_prefix(&self.root).ok())
            .or_else(|| path.strip_prefix(&self.cwd).ok())
            .filter(|p| !p.as_str().is_empty())
            .map_or_else(|| path.to_owned(), Utf8Path::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_from_the_working_directory_and_show_from_the_checkout() {
        let place = Place {
            root: "/src/meshgen".into(),
            cwd: "/home/me".into(),
        };
        assert_eq!(place.path(None, "certs"), "/src/meshgen/certs");
        assert_eq!(place.path(Some("out".into()), "generated"), "/home/me/out");
        assert_eq!(place.path(Some("/tmp/out".into()), "generated"), "/tmp/out");
        assert_eq!(place.shown("/src/meshgen/generated".into()), "generated");
        assert_eq!(place.shown("/home/me/out".into()), "out");
        assert_eq!(place.shown("/tmp/out".into()), "/tmp/out");
        assert_eq!(place.shown("/src/meshgen".into()), "/src/meshgen");
    }
}
