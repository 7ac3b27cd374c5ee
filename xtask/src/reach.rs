//! `cargo xtask reach --from … --to …`: asks meshgen's reachability evaluator
//! whether a client can open a port on a rendered pod. Thin over `meshgen::reach`.

use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::Args;
use meshgen::certs::time::OffsetDateTime;
use meshgen::reach::{Cluster, Query};
use meshgen::{Manifest, Renderer};

use crate::Place;

#[derive(Args)]
pub struct ReachArgs {
    /// The client: NS/key=value[,key=value...][,sa=SA][,unmeshed][,ip=ADDR], NS/WORKLOAD
    /// for a rendered Deployment or StatefulSet, or `kubelet`.
    #[arg(long, value_name = "CLIENT")]
    from: String,
    /// The target: NS/WORKLOAD:PORT, such as dgraph/alpha:9080 (WORKLOAD may be the
    /// pods' component label).
    #[arg(long, value_name = "TARGET")]
    to: String,
    /// A values overlay to render with; repeat to stack several, in order.
    #[arg(long = "values", value_name = "FILE")]
    values: Vec<Utf8PathBuf>,
    /// Read the objects from a rendered directory (such as generated/) instead of rendering.
    #[arg(long, value_name = "DIR", conflicts_with = "values")]
    dir: Option<Utf8PathBuf>,
}

/// Exits 0 when the connection is allowed, 1 when it is denied, 2 on an error.
pub fn run(args: &ReachArgs, place: &Place) -> ExitCode {
    match answer(args, place) {
        Ok(verdict) => {
            print!("{verdict}");
            if verdict.allowed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn answer(args: &ReachArgs, place: &Place) -> Result<meshgen::reach::Verdict, String> {
    let query = Query::parse(&args.from, &args.to).map_err(|e| e.to_string())?;
    let manifests = match &args.dir {
        Some(dir) => read_dir(dir)?,
        None => render(&args.values, place).map_err(|e| e.to_string())?,
    };
    let cluster = Cluster::from_manifests(&manifests).map_err(|e| e.to_string())?;
    cluster.evaluate(&query).map_err(|e| e.to_string())
}

/// Renders in memory, as `cargo xtask render` would, and keeps the objects.
fn render(values: &[Utf8PathBuf], place: &Place) -> meshgen::Result<Vec<Manifest>> {
    let mut renderer = Renderer::from_checkout(&place.root)?.certs_dir(&place.path(None, "certs"))?;
    for file in values {
        renderer = renderer.values_file(file)?;
    }
    let output = renderer.render(OffsetDateTime::now_utc())?;
    Ok(output.objects().cloned().collect())
}

/// Every object of every `*.yaml` file under `dir`.
fn read_dir(dir: &Utf8Path) -> Result<Vec<Manifest>, String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = d.read_dir_utf8().map_err(|e| format!("{d}: {e}"))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{d}: {e}"))?.path().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension() == Some("yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut manifests = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
        let docs = meshgen::yaml::parse_stream(&text).map_err(|e| format!("{file}: {e}"))?;
        for doc in docs {
            // Files such as kustomization.yaml are not objects of the cluster.
            if doc.get("metadata").is_none() {
                continue;
            }
            manifests.push(Manifest::from_json("", file.as_str(), doc).map_err(|e| e.to_string())?);
        }
    }
    Ok(manifests)
}
