//! The fleet a command works on: which fleet file is in use, loading it with the values
//! files it names, and rendering its clusters in memory, each with its certificate
//! store. Used by `render`, `certs`, `reach` and `fleet`; thin over `meshgen::fleet`.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::certs::time::OffsetDateTime;
use meshgen::{CertStore, Fleet, FleetOutput, Renderer};

use crate::place::Place;

/// The fleet file in use: `--fleet`, else `fleet.yaml` at the top of the checkout
/// when there is one. `None` is single-cluster mode.
pub(crate) fn find(given: Option<&Utf8Path>, place: &Place) -> Option<Utf8PathBuf> {
    match given {
        Some(path) => Some(place.path(Some(path), meshgen::fleet::FLEET_FILE)),
        None => {
            let default = place.root.join(meshgen::fleet::FLEET_FILE);
            default.is_file().then_some(default)
        }
    }
}

/// Loads the fleet file, naming it as the user would.
pub(crate) fn load(path: &Utf8Path, place: &Place) -> meshgen::Result<Fleet> {
    let shown = place.shown(path);
    let text = std::fs::read_to_string(path).map_err(|e| meshgen::Error::Io {
        path: shown.to_string(),
        action: "cannot read fleet file",
        source: e,
    })?;
    let dir = path.parent().unwrap_or(Utf8Path::new("")).to_owned();
    let shown_dir = shown.parent().unwrap_or(Utf8Path::new("")).to_owned();
    Fleet::parse(shown.as_str(), &text, &mut |key, file| {
        let full = dir.join(file);
        let text = std::fs::read_to_string(&full).map_err(|e| meshgen::Error::Values {
            file: shown.to_string(),
            path: key.to_string(),
            message: format!("cannot read {}: {e}", shown_dir.join(file)),
            help: "values files are named relative to the fleet file's directory; fix the path or create the file"
                .into(),
        })?;
        Ok(meshgen::ValuesSource::new(shown_dir.join(file).as_str(), text))
    })
}

/// Renders the fleet's clusters (only `only`, when given) in memory, with the stores of
/// `certs` (`--certs`, else certs/ in the checkout), `jobs` clusters at once (else as
/// many as there are cores).
pub(crate) fn render(
    fleet: &Fleet,
    certs: Option<&Utf8Path>,
    jobs: Option<NonZeroUsize>,
    only: Option<&str>,
    place: &Place,
) -> meshgen::Result<FleetOutput> {
    let certs_dir = place.path(certs, "certs");
    let stores = load_certs(fleet, &certs_dir, place)?;
    let threads = jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let base = Renderer::from_checkout(&place.root)?;
    fleet.render(&base, &stores, OffsetDateTime::now_utc(), threads, only)
}

/// Every cluster's certificate store, `<certs>/clusters/<name>/`, after checking that
/// they carry the fleet's anchor (`<certs>/ca.crt`).
fn load_certs(fleet: &Fleet, certs_dir: &Utf8Path, place: &Place) -> meshgen::Result<BTreeMap<String, CertStore>> {
    let certs =
        meshgen::fleet::certs::FleetCerts::load(certs_dir, &place.shown(certs_dir), &fleet.names()).map_err(|e| {
            meshgen::Error::Certs {
                message: e.to_string(),
                help: "mint the fleet's certificates with `cargo xtask certs init`".into(),
                source: Some(Box::new(e.into())),
            }
        })?;
    certs.check_shared_anchor()?;
    Ok(certs.clusters)
}
