//! `cargo xtask`: the command line over the meshgen library. Thin on purpose:
//! every behaviour lives in the library so other tooling can call it directly; xtask
//! reads the clock and the environment and hands them over. This file only defines the
//! command line and hands each command to its module; what several commands share sits
//! below them (`place`, `checkout`, `fleet_file`), and nothing imports this file.

// The doc comments of the argument types are clap's help text, written for a terminal
// (`--from NAMESPACE/NAME[,sa=SA]`, `<name>`), not for rustdoc.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod certs;
mod certs_args;
mod certs_steps;
mod checkout;
mod fleet;
mod fleet_certs;
mod fleet_file;
mod fleet_render;
mod place;
mod profile;
mod reach;
mod render;
mod render_args;
mod render_steps;
mod schema;

use std::fmt::Display;
use std::process::ExitCode;
use std::sync::LazyLock;

use clap::{Parser, Subcommand};

use place::Place;

/// `--version`: meshgen's own version and the upstream releases it pins.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} (Linkerd {}, Dgraph {})",
        env!("CARGO_PKG_VERSION"),
        meshgen::LINKERD_VERSION,
        meshgen::DGRAPH_VERSION
    )
});

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version = VERSION.as_str(),
    about = "Render the meshgen manifests: Linkerd, its extensions and Dgraph, deterministically"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render every bundle into the output directory (generated/ by default).
    Render(render_args::RenderArgs),
    /// Linkerd identity and webhook certificates in certs/: init, import, check, rotate.
    Certs(certs_args::CertsArgs),
    /// Write values.schema.json, the JSON schema of a values overlay (for editors).
    Schema(schema::SchemaArgs),
    /// A ServiceProfile from a .proto file, as `linkerd profile --proto` writes it.
    Profile(profile::ProfileArgs),
    /// Fleet chores a render cannot do: the Link credentials Secrets.
    Fleet(fleet::FleetArgs),
    /// Can a client open a port on a rendered pod? Combines the NetworkPolicies and the
    /// Linkerd authorization, and names the rule that decides.
    Reach(reach::ReachArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let place = match Place::here() {
        Ok(place) => place,
        Err(message) => return failed(message),
    };
    match cli.command {
        Command::Render(args) => exit_code(render::run(&args, &place)),
        Command::Schema(args) => exit_code(schema::run(&args, &place)),
        Command::Certs(args) => exit_code(certs::run(&args, &place)),
        Command::Profile(args) => exit_code(profile::run(&args, &place).map(|()| ExitCode::SUCCESS)),
        // Its own codes: 0 allowed, 1 denied, 2 an error.
        Command::Reach(args) => reach::run(&args, &place),
        Command::Fleet(args) => exit_code(fleet::run(&args, &place)),
    }
}

/// A command's own exit code, or a failure after printing its error.
fn exit_code(result: Result<ExitCode, impl Display>) -> ExitCode {
    result.unwrap_or_else(failed)
}

fn failed(err: impl Display) -> ExitCode {
    eprintln!("error: {err}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
