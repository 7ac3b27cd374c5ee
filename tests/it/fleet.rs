//! Fleets: the example fleet in examples/fleet/ and the fleet-file errors, one file
//! each in tests/inputs/fleet-errors/ (the first line names the key the error must
//! point at; the message is snapshotted). Every cluster renders with the test store.

use crate::common;

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::{CertStore, Error, Fleet, FleetOutput, Renderer, ValuesSource};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fleet/fleet.yaml");

/// A fleet file, its overlays read from beside it and named relative to `shown`.
fn load(path: &Utf8Path, shown: &str) -> meshgen::Result<Fleet> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let dir = path.parent().map(Utf8Path::to_owned).unwrap_or_default();
    Fleet::parse(shown, &text, &mut |key, file| {
        let text = std::fs::read_to_string(dir.join(file)).map_err(|e| Error::Values {
            file: shown.into(),
            path: key.into(),
            message: format!("cannot read {file}: {e}"),
            help: "fix the path".into(),
        })?;
        Ok(ValuesSource::new(file.as_str(), text))
    })
}

fn certs_for(fleet: &Fleet, store: &CertStore) -> BTreeMap<String, CertStore> {
    fleet
        .names()
        .into_iter()
        .map(|n| (n.to_owned(), store.clone()))
        .collect()
}

fn render(fleet: &Fleet, threads: usize) -> meshgen::Result<FleetOutput> {
    let certs = certs_for(fleet, &common::test_certs());
    fleet.render(&Renderer::new(), &certs, common::now(), threads, None)
}

fn example() -> Fleet {
    load(Utf8Path::new(EXAMPLE), "examples/fleet/fleet.yaml").unwrap_or_else(|e| panic!("{e}"))
}

/// Every file of every cluster, keyed `clusters/<name>/<path>`.
fn files(output: &FleetOutput) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for (name, cluster) in output.clusters() {
        for (path, text) in &cluster.generated().files {
            all.insert(format!("clusters/{name}/{path}"), text.clone());
        }
        for (path, text) in cluster.secrets().map(|t| &t.files).into_iter().flatten() {
            all.insert(format!("secrets/clusters/{name}/{path}"), text.clone());
        }
    }
    all
}

#[test]
fn the_bytes_do_not_depend_on_the_thread_count() {
    let fleet = example();
    let one = files(&render(&fleet, 1).unwrap_or_else(|e| panic!("{e}")));
    for threads in [2, 3, 8] {
        let many = files(&render(&fleet, threads).unwrap_or_else(|e| panic!("{e}")));
        assert!(one == many, "{threads} threads render other bytes than one");
    }
    assert!(one.keys().any(|p| p.starts_with("clusters/dev/")));
}

#[test]
fn one_cluster_renders_as_it_does_in_the_whole_fleet() {
    let fleet = example();
    let all = render(&fleet, 2).unwrap_or_else(|e| panic!("{e}"));
    let certs = certs_for(&fleet, &common::test_certs());
    let west = fleet
        .render(&Renderer::new(), &certs, common::now(), 1, Some("west"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(west.clusters().len(), 1);
    let whole = &all.clusters()[1];
    assert_eq!(whole.0, "west");
    assert!(whole.1.generated() == west.clusters()[0].1.generated());
    let err = fleet
        .render(&Renderer::new(), &certs, common::now(), 1, Some("north"))
        .expect_err("an unknown cluster is refused");
    assert!(err.to_string().contains("east, west, dev"), "{err}");
}

#[test]
fn links_follow_the_targets_values() {
    let output = render(&example(), 2).unwrap_or_else(|e| panic!("{e}"));
    let objects = |name: &str| {
        let (_, o) = output
            .clusters()
            .iter()
            .find(|(n, _)| n == name)
            .expect("cluster rendered");
        o.objects().cloned().collect::<Vec<_>>()
    };
    let east = objects("east");
    let link = east.iter().find(|m| m.kind == "Link").expect("east holds a Link");
    assert_eq!(link.name, "west");
    assert_eq!(link.body["spec"]["gatewayAddress"], "gateway.west.example.com");
    assert!(east
        .iter()
        .any(|m| m.kind == "Deployment" && m.name == "controller-west"));
    // east exports through its gateway: Alpha admits the gateway's identity.
    let remote = east
        .iter()
        .find(|m| m.kind == "MeshTLSAuthentication" && m.name == "demo-dgraph-remote-clients")
        .expect("east admits remote clients");
    assert_eq!(
        remote.body["spec"]["identities"][0],
        "linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local"
    );
    // west exports pod to pod: east's networks are admitted on the proxy's port.
    let west = objects("west");
    let policy = west
        .iter()
        .find(|m| m.kind == "NetworkPolicy" && m.name == "demo-dgraph-alpha-allow-remote")
        .expect("west admits east's pod networks");
    assert_eq!(
        policy.body["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"],
        "10.0.0.0/8"
    );
    // dev takes part in no Link: no extension, no Link CRD.
    let dev = objects("dev");
    assert!(!dev.iter().any(|m| m.bundle == "linkerd-multicluster"));
    assert!(!dev.iter().any(|m| m.name == "links.multicluster.linkerd.io"));
}

#[test]
fn every_cluster_must_trust_the_same_anchors() {
    let fleet = example();
    let (_tmp, dir) = common::tempdir();
    let other = common::init(&dir);
    let mut certs = certs_for(&fleet, &common::test_certs());
    certs.insert("west".into(), other);
    let err = fleet
        .render(&Renderer::new(), &certs, common::now(), 2, Some("east"))
        .expect_err("another anchor in west is refused, even rendering east alone");
    assert!(err.to_string().contains("cluster `west` trusts other anchors"), "{err}");
}

#[test]
fn bad_fleet_files_name_the_file_and_the_key() {
    insta::glob!("..", "inputs/fleet-errors/*.yaml", |path| {
        let path = Utf8PathBuf::from_path_buf(path.to_path_buf()).unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect-path: "))
            .unwrap_or_else(|| panic!("{path}: first line must be `# expect-path: ...`"));
        let shown = format!("fleet-errors/{}", path.file_name().unwrap_or_default());
        let err = match load(&path, &shown) {
            Err(e) => e,
            Ok(fleet) => render(&fleet, 2).expect_err("this fleet must be refused"),
        };
        match &err {
            Error::Values { file, path: at, .. } => {
                assert_eq!(file, &shown, "the error must blame the fleet file");
                assert_eq!(at, expected);
            }
            other => panic!("expected an error naming a fleet-file key, got: {other}"),
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("fleet_error", err.to_string()));
    });
}

/// The test store's anchor, standing in for a target API server's CA.
fn test_ca() -> String {
    std::fs::read_to_string(format!("{}/ca.crt", common::TEST_STORE)).unwrap_or_default()
}

/// What west's live API would give east's Link: its address, a CA and a token.
fn west_access(ca: &str) -> meshgen::fleet::TargetAccess<'_> {
    meshgen::fleet::TargetAccess {
        server: "https://west.api.example:6443",
        ca_pem: ca,
        token: "tok.en-123\n",
    }
}

#[test]
fn credentials_are_a_pure_function_of_their_inputs() {
    let fleet = example();
    let ca = test_ca();
    let access = west_access(&ca);
    let secrets = fleet
        .credentials(&Renderer::new(), "east", "west", &access)
        .unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<&str> = secrets.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "credentials/linkerd-multicluster-cluster-credentials-west.yaml",
            "credentials/linkerd-cluster-credentials-west.yaml"
        ]
    );
    let destination = &secrets[1].1.body;
    assert_eq!(
        destination["metadata"]["labels"]["multicluster.linkerd.io/cluster-name"],
        "west"
    );
    assert_eq!(
        destination["metadata"]["annotations"]["multicluster.linkerd.io/trust-domain"],
        "cluster.local"
    );
    assert_eq!(destination["type"], "mirror.linkerd.io/remote-kubeconfig");
    let data = destination["data"]["kubeconfig"].as_str().unwrap_or_default();
    use base64ct::Encoding as _;
    let kubeconfig = String::from_utf8(base64ct::Base64::decode_vec(data).unwrap_or_default()).unwrap_or_default();
    assert!(kubeconfig.contains("token: tok.en-123\n"), "{kubeconfig}");
    assert!(
        kubeconfig.contains("server: \"https://west.api.example:6443\"\n")
            || kubeconfig.contains("server: https://west.api.example:6443\n"),
        "{kubeconfig}"
    );
    assert_eq!(secrets[0].1.body["data"], secrets[1].1.body["data"]);
    let again = fleet
        .credentials(&Renderer::new(), "east", "west", &access)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(again.iter().zip(&secrets).all(|(a, b)| a.1.to_file() == b.1.to_file()));

    let refused = [
        ("dev", "east", access.clone(), "`dev` has no Link to `east`"),
        (
            "east",
            "west",
            meshgen::fleet::TargetAccess {
                server: "http://x",
                ..access.clone()
            },
            "is not an https:// URL",
        ),
        (
            "east",
            "west",
            meshgen::fleet::TargetAccess {
                ca_pem: "nope",
                ..access.clone()
            },
            "PEM certificate",
        ),
        (
            "east",
            "west",
            meshgen::fleet::TargetAccess {
                token: " ",
                ..access.clone()
            },
            "one token",
        ),
    ];
    for (from, to, access, want) in refused {
        let err = fleet.credentials(&Renderer::new(), from, to, &access).expect_err(want);
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReachTable {
    cases: Vec<ReachCase>,
}

/// A question across the example fleet: each side is `CLUSTER:…`, as on the command line.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReachCase {
    name: String,
    from: String,
    to: String,
    /// `allowed` or `denied`; absent when `error` is given.
    expect: Option<String>,
    /// The deciding layer: Multicluster, NetworkPolicy or Linkerd.
    layer: Option<String>,
    /// Parts of the deciding rule, the NetworkPolicy rule and the route's rule.
    rule: Option<String>,
    network: Option<String>,
    route: Option<String>,
    /// A part of the error that refuses the question.
    error: Option<String>,
}

/// `CLUSTER:REST` of a case.
fn side<'a>(case: &str, text: &'a str) -> (&'a str, &'a str) {
    text.split_once(':')
        .unwrap_or_else(|| panic!("{case}: {text:?} names no cluster"))
}

#[test]
fn reach_answers_across_the_clusters() {
    let output = render(&example(), 2).unwrap_or_else(|e| panic!("{e}"));
    let objects: BTreeMap<&str, Vec<meshgen::Manifest>> = (output.clusters().iter())
        .map(|(name, c)| (name.as_str(), c.objects().cloned().collect()))
        .collect();
    insta::glob!("..", "inputs/fleet-reach/*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let tree = crate::common::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let table: ReachTable = serde_json::from_value(tree).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut out = String::from("| case | from | to | answer |\n|---|---|---|---|\n");
        for case in &table.cases {
            let (source, from) = side(&case.name, &case.from);
            let (target, to) = side(&case.name, &case.to);
            let query = meshgen::reach::Query::parse(from, to).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let answer = meshgen::reach::across(source, &objects[source], target, &objects[target], &query);
            let shown = match (&answer, &case.error) {
                (Err(e), Some(part)) => {
                    let e = e.to_string();
                    assert!(
                        e.contains(part.as_str()),
                        "{}: the error should contain {part:?}:\n{e}",
                        case.name
                    );
                    assert!(e.contains("help:"), "{}: the error says what to do:\n{e}", case.name);
                    format!("refused: {}", e.lines().next().unwrap_or_default())
                }
                (Ok(v), Some(_)) => panic!("{}: expected an error, got:\n{v}", case.name),
                (Err(e), None) => panic!("{}: {e}", case.name),
                (Ok(v), None) => {
                    let word = if v.allowed() { "allowed" } else { "denied" };
                    assert_eq!(Some(word), case.expect.as_deref(), "{}:\n{v}", case.name);
                    if let Some(layer) = &case.layer {
                        assert_eq!(v.deciding_layer(), layer, "{}:\n{v}", case.name);
                    }
                    let route = v.route.as_ref().map(|r| r.rule.as_str()).unwrap_or_default();
                    for (what, rule, part) in [
                        ("deciding rule", v.deciding().rule.as_str(), &case.rule),
                        ("NetworkPolicy rule", v.network.rule.as_str(), &case.network),
                        ("route", route, &case.route),
                    ] {
                        if let Some(part) = part {
                            assert!(
                                rule.contains(part.as_str()),
                                "{}: the {what} should contain {part:?}:\n{v}",
                                case.name
                            );
                        }
                    }
                    format!("{word} by {}: {}", v.deciding_layer(), v.deciding().rule)
                }
            };
            out.push_str(&format!(
                "| {} | `{}` | `{}` | {} |\n",
                case.name,
                case.from,
                case.to,
                shown.replace('|', "\\|")
            ));
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("fleet_reach", out));
    });
}

/// Every file below `dir`, relative to it, and the empty directories.
fn tree(dir: &Utf8Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = d.read_dir_utf8() else { continue };
        let mut empty = true;
        for entry in entries {
            empty = false;
            let path = entry.expect("entry").path().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).expect("inside").to_string());
            }
        }
        if empty && d != dir {
            out.push(format!("{}/", d.strip_prefix(dir).expect("inside")));
        }
    }
    out.sort();
    out
}

#[test]
fn switching_between_one_cluster_and_a_fleet_leaves_no_stale_tree() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = Utf8Path::from_path(tmp.path()).expect("utf-8");
    let (out, secrets) = (root.join("generated"), root.join("secrets"));
    let single = common::output("");
    single.write(&out, &secrets).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(out.join("notes")).expect("mkdir");
    std::fs::write(out.join("notes/ours.md"), "kept\n").expect("write");

    // One cluster of the fleet first: the single cluster's files are stale then.
    let fleet = example();
    let certs = certs_for(&fleet, &common::test_certs());
    let west = fleet
        .render(&Renderer::new(), &certs, common::now(), 1, Some("west"))
        .unwrap_or_else(|e| panic!("{e}"));
    let stale = west.check(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stale.iter().any(|c| c.to_string() == "stale     kustomization.yaml"),
        "{stale:?}"
    );
    assert!(
        stale.iter().any(|c| c.to_string() == "stale     meshgen.lock"),
        "{stale:?}"
    );
    west.write(&out, &secrets).unwrap_or_else(|e| panic!("{e}"));
    let files = tree(&out);
    assert!(
        files
            .iter()
            .all(|f| f.starts_with("clusters/west/") || f == "notes/ours.md"),
        "{files:?}"
    );
    assert!(
        tree(&secrets).iter().all(|f| f.starts_with("clusters/west/")),
        "{:?}",
        tree(&secrets)
    );

    // The whole fleet: west stays as it was, east and dev join.
    let all = render(&fleet, 2).unwrap_or_else(|e| panic!("{e}"));
    all.write(&out, &secrets).unwrap_or_else(|e| panic!("{e}"));
    assert!(all.check(&out).unwrap_or_else(|e| panic!("{e}")).is_empty());
    assert!(tree(&out).iter().any(|f| f.starts_with("clusters/east/")));

    // A west-only render keeps the other clusters: they are still the fleet's.
    west.write(&out, &secrets).unwrap_or_else(|e| panic!("{e}"));
    assert!(tree(&out).iter().any(|f| f.starts_with("clusters/dev/")));

    // Back to the single cluster: every cluster tree is stale, and goes.
    let stale = single.check(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stale
            .iter()
            .any(|c| c.to_string() == "stale     clusters/east/meshgen.lock"),
        "{stale:?}"
    );
    single.write(&out, &secrets).unwrap_or_else(|e| panic!("{e}"));
    let files = tree(&out);
    assert!(!files.iter().any(|f| f.starts_with("clusters")), "{files:?}");
    assert!(
        files.contains(&"notes/ours.md".to_string()),
        "a file meshgen did not write stays"
    );
    assert!(
        !tree(&secrets).iter().any(|f| f.starts_with("clusters")),
        "{:?}",
        tree(&secrets)
    );
    assert!(single.check(&out).unwrap_or_else(|e| panic!("{e}")).is_empty());
}

/// With `secrets.sops` (here through the base renderer, so in every cluster), a Link's
/// credentials are sealed into the source cluster's tree, and a fleet render, which can
/// never hold the token, keeps them and lists them in their bundles; a second render
/// changes nothing.
#[test]
fn sealed_credentials_are_kept_and_listed_by_every_render() {
    let recipient = "age1u02u4ndde2g8nku48ruftzhswy3jv8uha4lynmu3jye3nyxexp7qy25zne";
    let base = Renderer::new().values_text(
        "sops.yaml",
        &format!("secrets: {{sops: {{ageRecipients: [{recipient}]}}}}"),
    );
    let fleet = example();
    let ca = test_ca();
    let access = west_access(&ca);
    let secrets = fleet
        .credentials(&base, "east", "west", &access)
        .unwrap_or_else(|e| panic!("{e}"));
    let sealed = fleet
        .sealed_credentials(&base, "east", &secrets, common::now())
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("east seals its Secrets");
    let paths: Vec<&str> = sealed.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "linkerd-multicluster/sealed/secret-cluster-credentials-west.yaml",
            "linkerd/sealed/secret-cluster-credentials-west.yaml"
        ]
    );
    for (path, text) in &sealed {
        assert!(!text.contains("tok.en-123"), "{path} holds the token in the clear");
        assert!(text.contains(meshgen::SEALED_ANNOTATION), "{path}");
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = Utf8Path::from_path(tmp.path()).expect("utf-8").join("generated");
    let east = FleetOutput::dir_of(&out, "east");
    for (path, text) in &sealed {
        std::fs::create_dir_all(east.join(path).parent().expect("parent")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(east.join(path), text).unwrap_or_else(|e| panic!("{e}"));
    }
    let certs = certs_for(&fleet, &common::test_certs());
    let render = || {
        fleet
            .render(&base, &certs, common::now(), 2, None)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let first = render();
    // West's Link to east has no credentials yet: only `fleet credentials` can seal them.
    let unsealed = first.unsealed(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unsealed.len(), 2, "{unsealed:?}");
    for problem in &unsealed {
        assert!(problem.starts_with("clusters/west/"), "{problem}");
        assert!(
            problem.contains("cluster-credentials-east.yaml: not sealed"),
            "{problem}"
        );
        assert!(problem.contains("cargo xtask fleet credentials"), "{problem}");
    }
    first
        .write(&out, &out.with_file_name("secrets"))
        .unwrap_or_else(|e| panic!("{e}"));
    for (path, text) in &sealed {
        let kept = std::fs::read_to_string(east.join(path)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&kept, text, "{path} is kept byte for byte");
        let (bundle, local) = path.split_once('/').expect("a bundle");
        let listing = std::fs::read_to_string(east.join(bundle).join("kustomization.yaml")).unwrap_or_default();
        assert!(
            listing.contains(&format!("  - {local}\n")),
            "{bundle} lists {local}:\n{listing}"
        );
    }
    assert_eq!(render().check(&out).unwrap_or_else(|e| panic!("{e}")), vec![]);
}
