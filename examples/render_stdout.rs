//! Renders the default system plus the overlays named on the command line and prints
//! it as one YAML stream in apply order: `cargo run --example render_stdout -- prod.yaml`.
//!
//! The certificate store is `MESHGEN_CERTS` or `certs/` in the working directory.

use std::process::ExitCode;

use meshgen::certs::time::OffsetDateTime;
use meshgen::{Renderer, Utf8PathBuf};

fn render(overlays: &[Utf8PathBuf], certs: &Utf8PathBuf) -> meshgen::Result<String> {
    let mut renderer = Renderer::new().certs_dir(certs)?;
    for file in overlays {
        renderer = renderer.values_file(file)?;
    }
    Ok(renderer.render(OffsetDateTime::now_utc())?.stream(false))
}

fn main() -> ExitCode {
    let overlays: Vec<Utf8PathBuf> = std::env::args().skip(1).map(Utf8PathBuf::from).collect();
    let certs = Utf8PathBuf::from(std::env::var("MESHGEN_CERTS").unwrap_or_else(|_| "certs".into()));
    match render(&overlays, &certs) {
        Ok(stream) => {
            print!("{stream}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo test` builds this example as a test (see Cargo.toml) and runs this.
#[test]
fn renders_the_default_system_with_the_test_store() {
    let certs = Utf8PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store"));
    let stream = render(&[], &certs).unwrap_or_else(|e| panic!("{e}"));
    assert!(stream.contains("kind: CustomResourceDefinition\n"));
    assert!(stream.contains("name: demo-dgraph-alpha\n"));
}
