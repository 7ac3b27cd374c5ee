//! Benchmarks of a full in-process render and of the `--check` comparison.
//! Run with `cargo bench`; figures go in the session notes, never in tests.

use criterion::{criterion_group, criterion_main, Criterion};
use meshgen::certs::time::OffsetDateTime;
use meshgen::{CertStore, Renderer, Utf8Path, Utf8PathBuf};

fn benches(c: &mut Criterion) {
    let renderer = Renderer::new().certs(certs());
    let now = OffsetDateTime::now_utc();
    c.bench_function("render (values + templates + schema checks)", |b| {
        b.iter(|| renderer.render(now).expect("render"))
    });

    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Utf8PathBuf::from_path_buf(tmp.path().join("generated")).expect("utf-8");
    let secrets = Utf8PathBuf::from_path_buf(tmp.path().join("secrets")).expect("utf-8");
    renderer
        .render(now)
        .expect("render")
        .write(&out, &secrets)
        .expect("write");
    c.bench_function("check (render + compare with disk)", |b| {
        b.iter(|| {
            assert!(renderer
                .render(now)
                .expect("render")
                .check(&out)
                .expect("check")
                .is_empty())
        })
    });
}

criterion_group!(render, benches);
criterion_main!(render);

/// The test-only certificate store, as the tests use.
fn certs() -> CertStore {
    let dir = Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store"));
    meshgen::load_certs(dir).expect("the test store loads")
}
