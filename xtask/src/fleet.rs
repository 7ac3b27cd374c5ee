//! `cargo xtask fleet credentials`: the Link credentials Secrets, a fleet chore a render
//! cannot do (it needs a live token from the target cluster). Thin over `meshgen::fleet`.

use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::Renderer;

use crate::fleet_file;
use crate::place::Place;

#[derive(clap::Args)]
pub(crate) struct FleetArgs {
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
    /// Where the fleet is rendered, for the sealed copies when FROM seals its Secrets
    /// (secrets.sops) [default: generated/ in the checkout].
    #[arg(long, value_name = "DIR")]
    out: Option<Utf8PathBuf>,
}

pub(crate) fn run(args: &FleetArgs, place: &Place) -> meshgen::Result<ExitCode> {
    let FleetCommand::Credentials(a) = &args.command;
    let file = fleet_file::find(a.fleet.as_deref(), place).ok_or_else(|| meshgen::Error::Placement {
        path: meshgen::fleet::FLEET_FILE.into(),
        message: "there is no fleet file".into(),
        help: "pass --fleet FILE, or create fleet.yaml at the top of the checkout".into(),
    })?;
    let fleet = fleet_file::load(&file, place)?;
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
    let base = Renderer::from_checkout(&place.root)?;
    let secrets = fleet.credentials(&base, &a.from, &a.to, &access)?;
    // The clock only dates the seal (`sops.lastmodified`).
    let sealed = fleet.sealed_credentials(
        &base,
        &a.from,
        &secrets,
        meshgen::certs::time::OffsetDateTime::now_utc(),
    )?;
    let dir = meshgen::FleetOutput::dir_of(&place.path(a.secrets_out.as_deref(), "secrets"), &a.from);
    let generated = meshgen::FleetOutput::dir_of(&place.path(a.out.as_deref(), "generated"), &a.from);
    for (path, text) in sealed.iter().flatten() {
        let full = generated.join(path);
        write_private(&full, text)?;
        println!("wrote {} (sealed for git: commit it)", place.shown(&full));
    }
    if sealed.is_some() {
        println!(
            "render the fleet to list the sealed Secrets in their bundles: cargo xtask render --fleet {}",
            place.shown(&file)
        );
    }
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
