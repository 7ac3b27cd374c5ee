//! `cargo xtask profile`: `linkerd profile --proto`, offline. Reads a `.proto`
//! file (or `-` for stdin) and prints its ServiceProfile, or writes it to `--out`.

use std::io::Read;

use camino::Utf8PathBuf;
use meshgen::service_profile::{from_proto, to_yaml, Target};

use crate::place::Place;

#[derive(clap::Args)]
pub(crate) struct ProfileArgs {
    /// The protobuf definition, or `-` to read it from stdin.
    #[arg(long, value_name = "FILE")]
    proto: Utf8PathBuf,
    /// The Service the profile is for.
    #[arg(long, value_name = "NAME")]
    service: String,
    /// The Service's namespace.
    #[arg(long, short = 'n', value_name = "NS")]
    namespace: String,
    /// The cluster's DNS domain (default: `clusterDomain` of the values).
    #[arg(long = "cluster-domain", value_name = "DOMAIN")]
    cluster_domain: Option<String>,
    /// A values overlay to take `clusterDomain` from; repeat to stack several.
    #[arg(long = "values", value_name = "FILE")]
    values: Vec<Utf8PathBuf>,
    /// Write the profile to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<Utf8PathBuf>,
}

pub(crate) fn run(args: &ProfileArgs, place: &Place) -> meshgen::Result<()> {
    let cluster_domain = match &args.cluster_domain {
        Some(domain) => domain.clone(),
        None => {
            let mut renderer = meshgen::Renderer::from_checkout(&place.root)?;
            for file in &args.values {
                renderer = renderer.values_file(file)?;
            }
            renderer.values()?.cluster_domain
        }
    };
    let target = Target {
        service: args.service.clone(),
        namespace: args.namespace.clone(),
        cluster_domain,
    };
    let (name, source) = read_source(&args.proto)?;
    let yaml = to_yaml(&from_proto(&name, &source, &target)?);
    match &args.out {
        Some(out) => std::fs::write(out, yaml).map_err(|e| io_error(out.as_str(), "cannot write profile", e)),
        None => {
            print!("{yaml}");
            Ok(())
        }
    }
}

fn read_source(path: &Utf8PathBuf) -> meshgen::Result<(String, String)> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| io_error("(stdin)", "cannot read protobuf", e))?;
        return Ok(("(stdin)".into(), text));
    }
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path.as_str(), "cannot read protobuf", e))?;
    Ok((path.to_string(), text))
}

fn io_error(path: &str, action: &'static str, source: std::io::Error) -> meshgen::Error {
    meshgen::Error::Io {
        path: path.to_string(),
        action,
        source,
    }
}
