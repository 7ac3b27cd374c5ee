//! `cargo xtask render` in fleet mode (a fleet file exists), and `cargo xtask fleet
//! credentials`. Thin over `meshgen::fleet`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::certs::time::OffsetDateTime;
use meshgen::{CertStore, Fleet, Renderer};

use crate::render::RenderArgs;
use crate::Place;

/// The fleet file in use: `--fleet`, else `fleet.yaml` at the top of the checkout
/// when there is one. `None` is single-cluster mode.
pub fn file(given: Option<&Utf8Path>, place: &Place) -> Option<Utf8PathBuf> {
    match given {
        Some(path) => Some(place.path(Some(path), meshgen::fleet::FLEET_FILE)),
        None => {
            let default = place.root.join(meshgen::fleet::FLEET_FILE);
            default.is_file().then_some(default)
        }
    }
}

/// Loads the fleet file, naming it as the user would.
pub fn load(path: &Utf8Path, place: &Place) -> meshgen::Result<Fleet> {
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

/// Every cluster's certificate store, `<certs>/clusters/<name>/`.
pub fn load_certs(fleet: &Fleet, certs_dir: &Utf8Path, place: &Place) -> meshgen::Result<BTreeMap<String, CertStore>> {
    let mut stores = BTreeMap::new();
    for name in fleet.names() {
        let dir = meshgen::FleetOutput::dir_of(certs_dir, name);
        let store = meshgen::load_certs(&dir)?.shown_as(place.shown(&dir));
        stores.insert(name.to_owned(), store);
    }
    Ok(stores)
}

pub fn render(args: &RenderArgs, place: &Place, fleet_file: &Utf8Path) -> meshgen::Result<ExitCode> {
    if !args.values.is_empty() || !args.set.is_empty() {
        return Err(meshgen::Error::Values {
            file: place.shown(fleet_file).to_string(),
            path: "clusters".into(),
            message: "--values and --set do not apply to a fleet".into(),
            help: "list overlays in the fleet file: `values` for every cluster, `clusters[].values` for one".into(),
        });
    }
    let fleet = load(fleet_file, place)?;
    let certs_dir = place.path(args.certs.as_deref(), "certs");
    let stores = load_certs(&fleet, &certs_dir, place)?;
    let threads = args
        .jobs
        .map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), usize::from);
    let base = Renderer::from_checkout(&place.root)?;
    let output = fleet.render(&base, &stores, OffsetDateTime::now_utc(), threads, args.cluster.as_deref())?;
    for (name, cluster) in output.clusters() {
        for warning in cluster.warnings() {
            eprintln!("warning: cluster {name}: {warning}");
        }
    }
    if args.stdout {
        print!("{}", output.stream(args.with_secrets));
        return Ok(ExitCode::SUCCESS);
    }
    let out = place.path(args.out.as_deref(), "generated");
    let shown = place.shown(&out);
    let secrets_out = place.path(args.secrets_out.as_deref(), "secrets");
    let secrets_shown = place.shown(&secrets_out);
    let files: usize = output.clusters().iter().map(|(_, o)| o.generated().files.len()).sum();
    let what = match &args.cluster {
        Some(name) => format!("cluster {name}"),
        None => format!("{} clusters", output.clusters().len()),
    };
    if args.check || args.diff {
        let changes = output.check(&out)?;
        if args.diff {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            print!("{}", output.diff(&out, shown.as_str(), color)?);
        }
        let stale_secrets = output.check_secrets(&secrets_out)?;
        if !stale_secrets.is_empty() {
            eprintln!(
                "{secrets_shown}/ is out of date ({} file(s)): an interrupted render or new keys; run `cargo xtask render` to update it",
                stale_secrets.len()
            );
        }
        if changes.is_empty() {
            println!("{shown}/ is up to date ({what}, {files} files)");
            return Ok(if stale_secrets.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        eprintln!("{shown}/ is out of date: {} file(s) differ from a fresh render:", changes.len());
        for change in &changes {
            eprintln!("  {change}");
        }
        eprintln!(
            "run `{}` to update it, then commit the result",
            crate::render::fix_command(args)
        );
        return Ok(ExitCode::FAILURE);
    }
    crate::render::refuse_checkout_root(place, &out)?;
    let written = output.write(&out, &secrets_out)?;
    let changed: usize = written.iter().map(|(_, w)| w.generated.len()).sum();
    if changed == 0 {
        println!("{shown}/ is up to date ({what}, {files} files)");
    } else {
        println!("{shown}/: {changed} file(s) changed, {what}, {files} files in all");
    }
    for (name, w) in &written {
        for change in &w.generated {
            println!("  {}", change.clone().prefixed(&format!("clusters/{name}/")).done());
        }
        if let Some(secrets) = w.secrets.as_ref().filter(|c| !c.is_empty()) {
            println!(
                "{secrets_shown}/clusters/{name}/: {} file(s) changed (gitignored: apply them, never commit them)",
                secrets.len()
            );
        }
    }
    for (name, cluster) in output.clusters() {
        for s in cluster.skipped_secrets() {
            println!("cluster {name}: secret {} skipped, for want of {}", s.secret, s.key_file);
        }
    }
    Ok(ExitCode::SUCCESS)
}
