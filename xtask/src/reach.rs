//! `cargo xtask reach --from … --to …`: asks meshgen's reachability evaluator
//! whether a client can open a port on a rendered pod. Thin over `meshgen::reach`.

use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::Args;
use meshgen::reach::{Cluster, Query};
use meshgen::{Manifest, TemplateSet, ValuesSource};

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
pub fn run(args: &ReachArgs, repo_root: &Utf8Path) -> ExitCode {
    match answer(args, repo_root) {
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

fn answer(args: &ReachArgs, repo_root: &Utf8Path) -> Result<meshgen::reach::Verdict, String> {
    let query = Query::parse(&args.from, &args.to).map_err(|e| e.to_string())?;
    let manifests = match &args.dir {
        Some(dir) => read_dir(dir)?,
        None => render(&args.values, repo_root).map_err(|e| e.to_string())?,
    };
    let cluster = Cluster::from_manifests(&manifests).map_err(|e| e.to_string())?;
    cluster.evaluate(&query).map_err(|e| e.to_string())
}

/// Renders in memory; the certificates only need to load, since no Secret is used.
fn render(values: &[Utf8PathBuf], repo_root: &Utf8Path) -> meshgen::Result<Vec<Manifest>> {
    let overlays = values
        .iter()
        .map(|f| ValuesSource::read(f))
        .collect::<meshgen::Result<Vec<_>>>()?;
    let values = meshgen::load_values(&overlays)?;
    let certs = meshgen::load_certs(&repo_root.join("certs"))?;
    Ok(meshgen::render(&values, &certs, &TemplateSet::embedded())?.manifests)
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
