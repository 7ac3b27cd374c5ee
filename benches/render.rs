//! Benchmarks of a full in-process render and of the `--check` comparison.
//! Run with `cargo bench`; figures go in the session notes, never in tests.

use criterion::{criterion_group, criterion_main, Criterion};
use meshgen::{load_values, output, render_trees, TemplateSet, Utf8PathBuf};

fn benches(c: &mut Criterion) {
    c.bench_function("render (values + templates + schema checks)", |b| {
        b.iter(|| {
            let values = load_values(&[]).expect("defaults");
            render_trees(&values, &certs(), &TemplateSet::embedded()).expect("render")
        })
    });

    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Utf8PathBuf::from_path_buf(tmp.path().join("generated")).expect("utf-8");
    let values = load_values(&[]).expect("defaults");
    let trees = render_trees(&values, &certs(), &TemplateSet::embedded()).expect("render");
    output::write(&out, &trees.generated).expect("write");
    c.bench_function("check (render + compare with disk)", |b| {
        b.iter(|| {
            let trees = render_trees(&values, &certs(), &TemplateSet::embedded()).expect("render");
            assert!(output::changes(&out, &trees.generated).is_empty());
        })
    });
}

criterion_group!(render, benches);
criterion_main!(render);

/// The certificates committed in certs/ (public halves only in a fresh clone).
fn certs() -> meshgen::CertStore {
    meshgen::load_certs(meshgen::Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/certs"))).expect("certs/ loads")
}
