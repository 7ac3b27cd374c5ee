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

/// Every cluster's certificate store, `<certs>/clusters/<name>/`, after checking that
/// they carry the fleet's anchor (`<certs>/ca.crt`).
pub fn load_certs(fleet: &Fleet, certs_dir: &Utf8Path, place: &Place) -> meshgen::Result<BTreeMap<String, CertStore>> {
    let certs =
        meshgen::fleet::certs::FleetCerts::load(certs_dir, &place.shown(certs_dir), &fleet.names()).map_err(|e| {
            meshgen::Error::Certs {
                message: e.to_string(),
                help: "mint the fleet's certificates with `cargo xtask certs init`".into(),
            }
        })?;
    certs.check_shared_anchor()?;
    Ok(certs.clusters)
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
    let threads = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let base = Renderer::from_checkout(&place.root)?;
    let output = fleet.render(
        &base,
        &stores,
        OffsetDateTime::now_utc(),
        threads,
        args.cluster.as_deref(),
    )?;
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
        eprintln!(
            "{shown}/ is out of date: {} file(s) differ from a fresh render:",
            changes.len()
        );
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
            println!(
                "cluster {name}: secret {} skipped, for want of {}",
                s.secret, s.key_file
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct FleetArgs {
    #[command(subcommand)]
    command: FleetCommand,
}

#[derive(clap::Subcommand)]
enum FleetCommand {
    /// Build the two cluster-credentials-<TO> Secrets that cluster FROM's Link to TO
    /// needs, from TO's remote-access token, into secrets/clusters/FROM/credentials/.
    ///
    /// Read the token in the target with
    /// `kubectl --context TO -n linkerd-multicluster get secret
    /// linkerd-service-mirror-remote-access-default-token -o jsonpath='{.data.token}' | base64 -d`.
    Credentials(CredentialsArgs),
}

#[derive(clap::Args)]
struct CredentialsArgs {
    /// The cluster holding the Link (where the Secrets are applied).
    #[arg(long, value_name = "NAME")]
    from: String,
    /// The target cluster, whose API the Secrets give access to.
    #[arg(long, value_name = "NAME")]
    to: String,
    /// A file holding the target's remote-access ServiceAccount token.
    #[arg(long = "token-file", value_name = "FILE")]
    token_file: Utf8PathBuf,
    /// The target's API server, as the source cluster reaches it.
    #[arg(long, value_name = "URL")]
    server: String,
    /// The PEM CA certificate of the target's API server.
    #[arg(long = "ca-file", value_name = "FILE")]
    ca_file: Utf8PathBuf,
    /// The fleet file [default: fleet.yaml in the checkout].
    #[arg(long, value_name = "FILE")]
    fleet: Option<Utf8PathBuf>,
    /// Where the Secrets go, under clusters/FROM/credentials/ [default: secrets/ in the checkout].
    #[arg(long = "secrets-out", value_name = "DIR")]
    secrets_out: Option<Utf8PathBuf>,
}

pub fn run(args: &FleetArgs, place: &Place) -> meshgen::Result<ExitCode> {
    let FleetCommand::Credentials(a) = &args.command;
    let fleet_file = file(a.fleet.as_deref(), place).ok_or_else(|| meshgen::Error::Placement {
        path: meshgen::fleet::FLEET_FILE.into(),
        message: "there is no fleet file".into(),
        help: "pass --fleet FILE, or create fleet.yaml at the top of the checkout".into(),
    })?;
    let fleet = load(&fleet_file, place)?;
    let read = |path: &Utf8Path| {
        let full = place.path(Some(path), "");
        std::fs::read_to_string(&full).map_err(|e| meshgen::Error::Io {
            path: path.to_string(),
            action: "cannot read",
            source: e,
        })
    };
    let (token, ca) = (read(&a.token_file)?, read(&a.ca_file)?);
    let access = meshgen::fleet::TargetAccess {
        server: &a.server,
        ca_pem: &ca,
        token: &token,
    };
    let secrets = fleet.credentials(&Renderer::from_checkout(&place.root)?, &a.from, &a.to, &access)?;
    let dir = meshgen::FleetOutput::dir_of(&place.path(a.secrets_out.as_deref(), "secrets"), &a.from);
    for (path, manifest) in secrets {
        let full = dir.join(&path);
        write_private(&full, &manifest.to_file())?;
        println!(
            "wrote {} (a token: apply it to {}, never commit it)",
            place.shown(&full),
            a.from
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Owner-only, like the rest of secrets/: the kubeconfig holds a live token.
fn write_private(path: &Utf8Path, text: &str) -> meshgen::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e| meshgen::Error::Io {
        path: path.to_string(),
        action: "cannot write",
        source: e,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)
}
