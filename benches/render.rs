//! Benchmarks of a full in-process render, of the `--check` comparison, and of how a
//! render scales: with Dgraph's replica counts, and with the number of custom
//! resources, and a fleet of many clusters. Run with `cargo bench`; figures go in the session notes, never in tests.
//! Scaling is linear when doubling the input about doubles the time.

// criterion_main! writes a `main` without documentation.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use meshgen::certs::time::OffsetDateTime;
use meshgen::TemplateFile;
use meshgen::{CertStore, Renderer, TemplateSet, Utf8Path, Utf8PathBuf};

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

/// Dgraph with 3/3, 50/49 and 100/99 Alpha/Zero replicas: the StatefulSets' peer lists
/// grow with the counts, nothing else does.
fn replicas(c: &mut Criterion) {
    let now = OffsetDateTime::now_utc();
    let mut group = c.benchmark_group("render with Dgraph replicas (alpha/zero)");
    for (alpha, zero) in [(3, 3), (50, 49), (100, 99)] {
        let renderer = Renderer::new().certs(certs()).values_text(
            "scale.yaml",
            &format!("dgraph:\n  alpha: {{replicas: {alpha}}}\n  zero: {{replicas: {zero}}}\n"),
        );
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{alpha}/{zero}")),
            &renderer,
            |b, r| b.iter(|| r.render(now).expect("render")),
        );
    }
    group.finish();
}

/// The whole system plus N custom resources of each kind meshgen renders (Server,
/// AuthorizationPolicy, MeshTLSAuthentication, NetworkAuthentication, ServiceProfile),
/// from one extra template, for N = 250, 500 and 1,000.
fn custom_resources(c: &mut Criterion) {
    let now = OffsetDateTime::now_utc();
    let mut group = c.benchmark_group("render with N custom resources of each kind");
    group.sample_size(10);
    for n in [250, 500, 1000] {
        // Ten templates of N/10 iterations each: one stream of 5,000 documents would
        // exceed the parser's per-stream budget, which guards against YAML bombs.
        let mut files = TemplateSet::embedded().files().to_vec();
        for part in 0..10 {
            files.push(TemplateFile {
                name: format!("dgraph/zz-scale-{part}.yaml.j2"),
                source: SCALE_TEMPLATE
                    .replace("START", &(part * n / 10).to_string())
                    .replace("END", &((part + 1) * n / 10).to_string()),
            });
        }
        let renderer = Renderer::new().certs(certs()).templates(TemplateSet::from_files(files));
        group.bench_with_input(BenchmarkId::from_parameter(n), &renderer, |b, r| {
            b.iter(|| r.render(now).expect("render"))
        });
    }
    group.finish();
}

const SCALE_TEMPLATE: &str = r#"{% for i in range(START, END) %}
---
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata:
  name: scale-{{ i }}
  namespace: dgraph
spec:
  podSelector:
    matchLabels:
      app: dgraph
  port: 9080
  proxyProtocol: gRPC
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata:
  name: scale-{{ i }}
  namespace: dgraph
spec:
  targetRef:
    group: policy.linkerd.io
    kind: Server
    name: scale-{{ i }}
  requiredAuthenticationRefs:
    - group: policy.linkerd.io
      kind: MeshTLSAuthentication
      name: scale-{{ i }}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: MeshTLSAuthentication
metadata:
  name: scale-{{ i }}
  namespace: dgraph
spec:
  identityRefs:
    - kind: ServiceAccount
      name: dgraph
      namespace: dgraph
---
apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata:
  name: scale-{{ i }}
  namespace: dgraph
spec:
  networks:
    - cidr: "10.0.0.0/8"
---
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: scale-{{ i }}.dgraph.svc.cluster.local
  namespace: dgraph
spec:
  routes:
    - condition:
        method: POST
        pathRegex: "/api\\.Dgraph/Query"
      name: Query
      timeout: "1m"
{% endfor %}
"#;

/// A fleet of N clusters in a ring, each linked to the next through its gateway, each
/// exporting Dgraph: N = 10, 50 and 100, against the single-cluster render above. All
/// cores render; linear when 10 times the clusters takes about 10 times as long.
fn fleet(c: &mut Criterion) {
    let now = OffsetDateTime::now_utc();
    let mut group = c.benchmark_group("render a fleet of N clusters");
    group.sample_size(10);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    for n in [10, 50, 100] {
        let mut text = String::from("clusters:\n");
        for i in 0..n {
            let next = (i + 1) % n;
            text.push_str(&format!(
                "  - name: c{i}\n    values: [exported.yaml]\n    links: [{{to: c{next}, gatewayAddress: gw.c{next}.example}}]\n"
            ));
        }
        let fleet = meshgen::Fleet::parse("fleet.yaml", &text, &mut |_, _| {
            Ok(meshgen::ValuesSource::new(
                "exported.yaml",
                "dgraph: {export: {mode: gateway}}",
            ))
        })
        .expect("the fleet parses");
        let stores = fleet
            .names()
            .into_iter()
            .map(|name| (name.to_owned(), certs()))
            .collect();
        group.bench_with_input(BenchmarkId::from_parameter(n), &stores, |b, stores| {
            b.iter(|| {
                fleet
                    .render(&Renderer::new(), stores, now, threads, None)
                    .expect("render")
            })
        });
    }
    group.finish();
}

criterion_group!(render, benches, replicas, custom_resources, fleet);
criterion_main!(render);

/// The test-only certificate store, as the tests use.
fn certs() -> CertStore {
    let dir = Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store"));
    meshgen::load_certs(dir).expect("the test store loads")
}
