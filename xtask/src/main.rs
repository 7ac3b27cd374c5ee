//! `cargo xtask`: the command line over the meshgen library. Thin on purpose:
//! every behaviour lives in the library so other tooling can call it directly. This
//! is the only place that reads the clock, the environment and the working directory.

mod certs;
mod fleet;
mod fleet_certs;
mod profile;
mod reach;
mod render;
mod root;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `--version`: meshgen's own version and the upstream releases it pins.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (Linkerd ",
    "edge-26.8.3",
    ", Dgraph ",
    "v25.4.0",
    ")"
);

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version = VERSION,
    about = "Render the meshgen manifests: Linkerd, its extensions and Dgraph, deterministically"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render every bundle into the output directory (generated/ by default).
    Render(render::RenderArgs),
    /// Linkerd identity and webhook certificates in certs/: init, import, check, rotate.
    Certs(certs::CertsArgs),
    /// Write values.schema.json, the JSON schema of a values overlay (for editors).
    Schema(render::SchemaArgs),
    /// A ServiceProfile from a .proto file, as `linkerd profile --proto` writes it.
    Profile(profile::ProfileArgs),
    /// Fleet chores a render cannot do: the Link credentials Secrets.
    Fleet(fleet::FleetArgs),
    /// Can a client open a port on a rendered pod? Combines the NetworkPolicies and the
    /// Linkerd authorization, and names the rule that decides.
    Reach(reach::ReachArgs),
}

/// What every command needs: the checkout it works in and the directory it runs from.
pub struct Place {
    /// The meshgen checkout; default paths are taken from it.
    pub root: meshgen::Utf8PathBuf,
    /// The working directory; relative paths given on the command line are taken from it.
    pub cwd: meshgen::Utf8PathBuf,
}

impl Place {
    fn here() -> Result<Self, String> {
        let cwd = root::cwd()?;
        let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok();
        let root = root::find(manifest_dir.as_deref(), &cwd)?;
        Ok(Self { root, cwd })
    }

    /// A path given on the command line, or the default under the checkout.
    pub fn path(&self, given: Option<&meshgen::Utf8Path>, default: &str) -> meshgen::Utf8PathBuf {
        match given {
            Some(p) => root::resolve(&self.cwd, p),
            None => self.root.join(default),
        }
    }

    /// How to name `path` in messages: relative to the checkout or the working directory.
    pub fn shown(&self, path: &meshgen::Utf8Path) -> meshgen::Utf8PathBuf {
        root::shown(&self.root, &self.cwd, path)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let place = match Place::here() {
        Ok(place) => place,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Render(args) => render::run(&args, &place),
        Command::Schema(args) => render::schema(&args, &place),
        Command::Certs(args) => return certs::run(&args, &place),
        Command::Profile(args) => profile::run(&args, &place).map(|()| ExitCode::SUCCESS),
        Command::Reach(args) => return reach::run(&args, &place),
        Command::Fleet(args) => fleet::run(&args, &place),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_names_the_pinned_releases() {
        assert!(super::VERSION.contains(meshgen::LINKERD_VERSION), "{}", super::VERSION);
        assert!(super::VERSION.contains(meshgen::DGRAPH_VERSION), "{}", super::VERSION);
    }
}
