//! The GitOps wiring (`gitops.engine`), for Flux and Argo CD, in one cluster and in
//! the example fleet: every object passed its schema (the render checks each), the
//! bundles form one chain in apply order (the CRDs, the control plane, the extensions,
//! the applications), every rendered bundle is in it once and nothing else is, each
//! link's folder is in the rendered tree, and the wiring stays out of the cluster's
//! own apply chain (the top kustomization and the stream).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;
use meshgen::{Fleet, Output, Renderer, ValuesSource};
use serde_json::Value;

const REPO: &str = "https://git.example.com/platform/mesh.git";
const KUSTOMIZATION: &str = "kustomization.yaml";
const LOCK_FILE: &str = "meshgen.lock";
const WIRING: &str = "gitops";

/// An age recipient (age's own example key).
const AGE_RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/// Values that render every bundle.
const EVERY_BUNDLE: &str = "multicluster: {enabled: true}\ntracing: {enabled: true}\n";

fn wiring(engine: &str) -> String {
    format!("gitops: {{engine: {engine}, repoURL: '{REPO}', revision: main, path: deploy/mesh}}\n")
}

/// Where a bundle goes in apply order. Nothing public tells a bundle's layer, so the
/// known bundles are named here; a new bundle fails the test until it is added.
fn layer(bundle: &str) -> u8 {
    match bundle {
        "linkerd-crds" => 0,
        "linkerd" => 1,
        "linkerd-viz" | "linkerd-jaeger" | "linkerd-multicluster" => 2,
        "dgraph" | "pydgraph-client" => 3,
        other => panic!("`{other}` is a bundle this test does not know: give it its layer"),
    }
}

fn parse(path: &str, text: &str) -> Value {
    common::parse(text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn strings(list: &Value) -> Vec<String> {
    (list.as_array().into_iter().flatten())
        .map(|v| v.as_str().unwrap_or_else(|| panic!("{v} is not a string")).to_string())
        .collect()
}

/// The bundles of the cluster's tree, as its top kustomization lists them.
fn bundles(output: &Output) -> Vec<String> {
    let files = &output.generated().files;
    strings(&parse(KUSTOMIZATION, &files[KUSTOMIZATION])["resources"])
}

/// The wiring's objects, after checking that `gitops/kustomization.yaml` lists each
/// file of the folder once, and only those.
fn wiring_objects(output: &Output) -> Vec<Value> {
    let files = &output.generated().files;
    let listed = strings(&parse(KUSTOMIZATION, &files[&format!("{WIRING}/{KUSTOMIZATION}")])["resources"]);
    let present: BTreeSet<String> = (files.keys())
        .filter_map(|p| p.strip_prefix(&format!("{WIRING}/")))
        .filter(|p| *p != KUSTOMIZATION)
        .map(str::to_string)
        .collect();
    assert_eq!(
        listed.len(),
        present.len(),
        "a file of gitops/ is listed twice: {listed:?}"
    );
    assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), present);
    (listed.iter())
        .map(|f| parse(f, &files[&format!("{WIRING}/{f}")]))
        .collect()
}

/// What every engine's wiring must satisfy, given the bundles of its chain (in chain
/// order) and `path`, the cluster's folder in the repository.
fn check_chain(output: &Output, chain: &[String], what: &str) {
    let rendered = bundles(output);
    assert!(
        !rendered.iter().any(|b| b == WIRING),
        "{what}: the top kustomization lists gitops/"
    );
    assert_eq!(
        chain, rendered,
        "{what}: the chain holds every rendered bundle once, in apply order"
    );
    assert_eq!(chain.first().map(String::as_str), Some("linkerd-crds"), "{what}");
    assert_eq!(chain.get(1).map(String::as_str), Some("linkerd"), "{what}");
    let layers: Vec<u8> = chain.iter().map(|b| layer(b)).collect();
    assert!(
        layers.windows(2).all(|w| w[0] <= w[1]),
        "{what}: the chain goes CRDs, control plane, extensions, applications: {chain:?}"
    );
    let files = &output.generated().files;
    for bundle in chain {
        assert!(
            files.contains_key(&format!("{bundle}/{KUSTOMIZATION}")),
            "{what}: {bundle}/ is not in the tree"
        );
    }
    let stream = common::parse_stream(&output.stream(false)).expect("the stream is YAML");
    assert!(
        stream.iter().all(|v| {
            let api = v["apiVersion"].as_str().unwrap_or_default();
            !api.starts_with("argoproj.io/") && !api.contains("toolkit.fluxcd.io/")
        }),
        "{what}: the stream holds the wiring"
    );
}

/// `./<path>/<folder>` for Flux, `<path>/<folder>` for Argo CD: the folder.
fn folder<'a>(path: &'a str, base: &str) -> &'a str {
    let rest = path.strip_prefix("./").unwrap_or(path);
    rest.strip_prefix(&format!("{base}/"))
        .unwrap_or_else(|| panic!("`{path}` is not below `{base}`"))
}

/// Flux: one GitRepository, a Kustomization over the wiring, and a chain of one
/// Kustomization per bundle, each depending on the one before. Returns the chain's
/// bundles.
fn flux(output: &Output, base: &str, sops: bool) -> Vec<String> {
    let objects = wiring_objects(output);
    for o in &objects {
        assert_eq!(o["metadata"]["namespace"], "flux-system", "{o}");
    }
    let sources: Vec<&Value> = objects.iter().filter(|o| o["kind"] == "GitRepository").collect();
    assert_eq!(sources.len(), 1);
    let source = sources[0];
    assert_eq!(source["spec"]["url"], REPO);
    assert_eq!(source["spec"]["ref"]["branch"], "main");
    let kustomizations: Vec<&Value> = objects.iter().filter(|o| o["kind"] == "Kustomization").collect();
    assert_eq!(kustomizations.len() + 1, objects.len(), "only Flux's two kinds");
    for k in &kustomizations {
        let spec = &k["spec"];
        assert_eq!(spec["sourceRef"]["kind"], "GitRepository", "{k}");
        assert_eq!(spec["sourceRef"]["name"], source["metadata"]["name"], "{k}");
        assert_eq!(spec["prune"], true, "{k}");
        assert!(spec.get("targetNamespace").is_none(), "{k}");
    }
    let (own, links): (Vec<&Value>, Vec<&Value>) =
        (kustomizations.iter()).partition(|k| folder(k["spec"]["path"].as_str().unwrap_or_default(), base) == WIRING);
    assert_eq!(own.len(), 1, "one Kustomization over gitops/");
    assert!(own[0]["spec"].get("dependsOn").is_none());
    assert!(own[0]["spec"].get("decryption").is_none(), "gitops/ holds no Secret");
    let name = |k: &Value| k["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let depends = |k: &Value| -> Vec<String> {
        (k["spec"]["dependsOn"].as_array().into_iter().flatten())
            .map(|d| d["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // Walk the chain from the one link that depends on nothing: each next link must
    // be the only one depending on the last, and on it alone.
    let first: Vec<&&Value> = links.iter().filter(|k| depends(k).is_empty()).collect();
    assert_eq!(first.len(), 1, "the chain has one start");
    let mut chain = vec![*first[0]];
    loop {
        let last = name(chain[chain.len() - 1]);
        let next: Vec<&&Value> = links.iter().filter(|k| depends(k).contains(&last)).collect();
        match next.as_slice() {
            [] => break,
            [one] => {
                assert_eq!(
                    depends(one),
                    std::slice::from_ref(&last),
                    "{one}: depends on the one before alone"
                );
                chain.push(one);
            }
            many => panic!("{} links depend on {last}: the order is not a chain", many.len()),
        }
    }
    assert_eq!(
        chain.len(),
        links.len(),
        "every bundle's Kustomization is in the one chain"
    );
    for k in &chain {
        let spec = &k["spec"];
        assert_eq!(spec["wait"], true, "{k}");
        assert!(spec["timeout"].is_string(), "{k}");
        let decryption = &spec["decryption"];
        match sops {
            true => {
                assert_eq!(decryption["provider"], "sops", "{k}");
                assert_eq!(decryption["secretRef"]["name"], "sops-age", "{k}");
            }
            false => assert!(decryption.is_null(), "{k}"),
        }
    }
    (chain.iter())
        .map(|k| folder(k["spec"]["path"].as_str().unwrap_or_default(), base).to_string())
        .collect()
}

/// Argo CD: a parent over the wiring, and one Application per bundle in strictly
/// increasing sync waves. Returns the chain's bundles.
fn argocd(output: &Output, base: &str, cluster: Option<&str>) -> Vec<String> {
    let objects = wiring_objects(output);
    for o in &objects {
        assert_eq!(o["kind"], "Application", "{o}");
        assert_eq!(o["metadata"]["namespace"], "argocd", "{o}");
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        if let Some(cluster) = cluster {
            assert!(
                name.starts_with(&format!("{cluster}-")),
                "{name}: named after its cluster"
            );
        }
        let spec = &o["spec"];
        assert_eq!(spec["source"]["repoURL"], REPO, "{o}");
        assert_eq!(spec["source"]["targetRevision"], "main", "{o}");
        assert_eq!(spec["syncPolicy"]["automated"]["prune"], true, "{o}");
        assert_eq!(spec["syncPolicy"]["automated"]["selfHeal"], true, "{o}");
        assert!(spec["syncPolicy"]["retry"]["backoff"].is_object(), "{o}");
    }
    let path = |o: &Value| folder(o["spec"]["source"]["path"].as_str().unwrap_or_default(), base).to_string();
    let (parents, mut links): (Vec<&Value>, Vec<&Value>) = objects.iter().partition(|o| path(o) == WIRING);
    assert_eq!(parents.len(), 1, "one parent over gitops/");
    assert_eq!(
        parents[0]["spec"]["destination"]["server"],
        "https://kubernetes.default.svc"
    );
    let wave = |o: &Value| -> i64 {
        let text = o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .unwrap_or_else(|| panic!("{o}: no sync wave"));
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    links.sort_by_key(|o| wave(o));
    let waves: Vec<i64> = links.iter().map(|o| wave(o)).collect();
    assert!(
        waves.windows(2).all(|w| w[0] < w[1]),
        "waves strictly increase: {waves:?}"
    );
    assert!(wave(parents[0]) < waves[0], "the parent goes before the bundles");
    // The groups the CRDs bundle defines, and the bundles holding objects of them.
    let files = &output.generated().files;
    let groups: BTreeSet<String> = (files.iter())
        .filter(|(p, _)| p.starts_with("linkerd-crds/") && !p.ends_with(KUSTOMIZATION))
        .map(|(p, text)| parse(p, text)["spec"]["group"].as_str().unwrap_or_default().to_string())
        .collect();
    let holds_custom = |bundle: &str| {
        (files.iter())
            .filter(|(p, _)| p.starts_with(&format!("{bundle}/")) && !p.ends_with(KUSTOMIZATION))
            .any(|(p, text)| {
                let api = parse(p, text)["apiVersion"].as_str().unwrap_or_default().to_string();
                api.rsplit_once('/').is_some_and(|(g, _)| groups.contains(g))
            })
    };
    for o in &links {
        let bundle = path(o);
        let options = strings(&o["spec"]["syncPolicy"]["syncOptions"]);
        assert!(
            options.contains(&"ServerSideApply=true".to_string()),
            "{bundle}: {options:?}"
        );
        let skips = options.contains(&"SkipDryRunOnMissingResource=true".to_string());
        assert_eq!(
            skips,
            bundle != "linkerd-crds" && holds_custom(&bundle),
            "{bundle}: {options:?}"
        );
        assert_eq!(
            strings(&o["metadata"]["finalizers"]),
            ["resources-finalizer.argocd.argoproj.io"],
            "{bundle}"
        );
        let destination = &o["spec"]["destination"];
        match cluster {
            Some(name) => {
                assert_eq!(destination["name"], name, "{bundle}");
                assert!(destination.get("server").is_none(), "{bundle}");
            }
            None => assert_eq!(destination["server"], "https://kubernetes.default.svc", "{bundle}"),
        }
    }
    links.iter().map(|o| path(o)).collect()
}

#[test]
fn flux_chains_every_bundle_of_one_cluster() {
    for (values, sops) in [
        (wiring("flux"), false),
        (format!("{}{EVERY_BUNDLE}", wiring("flux")), false),
        (
            format!(
                "{}secrets: {{sops: {{ageRecipients: [{AGE_RECIPIENT}]}}}}\n",
                wiring("flux")
            ),
            true,
        ),
    ] {
        let output = common::output(&values);
        let chain = flux(&output, "deploy/mesh", sops);
        check_chain(&output, &chain, &values);
    }
}

#[test]
fn argocd_chains_every_bundle_of_one_cluster() {
    for values in [wiring("argocd"), format!("{}{EVERY_BUNDLE}", wiring("argocd"))] {
        let output = common::output(&values);
        let chain = argocd(&output, "deploy/mesh", None);
        check_chain(&output, &chain, &values);
    }
}

/// A switched-off bundle leaves the chain, and the links around it join up.
#[test]
fn a_bundle_switched_off_leaves_the_chain() {
    let output = common::output(&format!("{}tracing: {{enabled: false}}\n", wiring("flux")));
    let chain = flux(&output, "deploy/mesh", false);
    assert!(!chain.iter().any(|b| b == "linkerd-jaeger"), "{chain:?}");
    check_chain(&output, &chain, "tracing off");
}

/// `none` renders what the defaults render, whatever else `gitops` says.
#[test]
fn no_engine_changes_nothing() {
    let default = common::output("");
    let none = common::output(&format!(
        "gitops: {{engine: none, repoURL: '{REPO}', revision: other, path: deploy/mesh}}"
    ));
    assert_eq!(none.generated(), default.generated());
    assert!(!default
        .generated()
        .files
        .keys()
        .any(|p| p.starts_with(&format!("{WIRING}/"))));
}

/// The wiring is written, listed in the lock file, and goes when the engine does.
#[test]
fn switching_the_engine_off_removes_the_wiring() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = meshgen::Utf8PathBuf::from_path_buf(tmp.path().join("generated")).expect("utf-8");
    let secrets = out.with_file_name("secrets");
    let wired = common::output(&wiring("argocd"));
    wired.write(&out, &secrets).expect("write");
    assert!(out.join(WIRING).join(KUSTOMIZATION).is_file());
    let lock = std::fs::read_to_string(out.join(LOCK_FILE)).expect("lock file");
    assert!(lock.contains("  gitops/kustomization.yaml\n"), "{lock}");
    let plain = common::output("");
    plain.write(&out, &secrets).expect("write");
    assert!(
        !out.join(WIRING).exists(),
        "gitops/ stays after the engine is switched off"
    );
    assert!(plain.check(&out).expect("check").is_empty());
}

fn example_fleet() -> Fleet {
    let path = Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fleet/fleet.yaml"));
    let dir = path.parent().unwrap_or(path);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Fleet::parse("examples/fleet/fleet.yaml", &text, &mut |_, file| {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        Ok(ValuesSource::new(format!("examples/fleet/{file}"), text))
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn render_fleet(engine: &str) -> meshgen::FleetOutput {
    let fleet = example_fleet();
    let certs = (fleet.names().into_iter())
        .map(|n| (n.to_owned(), common::test_certs()))
        .collect();
    let base = Renderer::new().values_text("test-overlay.yaml", &wiring(engine));
    fleet
        .render(&base, &certs, common::now(), 2, None)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Each cluster's wiring reads its own tree, `<gitops.path>/clusters/<name>/`, and in
/// Argo CD no two clusters' Applications share a name.
#[test]
fn each_cluster_of_the_fleet_is_wired_to_its_own_tree() {
    let flux_fleet = render_fleet("flux");
    for (name, output) in flux_fleet.clusters() {
        let base = format!("deploy/mesh/clusters/{name}");
        assert_eq!(output.values().gitops.path, base);
        let chain = flux(output, &base, false);
        check_chain(output, &chain, &format!("flux, cluster {name}"));
    }
    let argo_fleet = render_fleet("argocd");
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (name, output) in argo_fleet.clusters() {
        let base = format!("deploy/mesh/clusters/{name}");
        let chain = argocd(output, &base, Some(name));
        check_chain(output, &chain, &format!("argocd, cluster {name}"));
        for o in output.objects().filter(|m| m.kind == "Application") {
            if let Some(other) = names.insert(o.name.clone(), name.clone()) {
                panic!("clusters {other} and {name} both name an Application {}", o.name);
            }
        }
    }
    assert!(names.len() > 2 * argo_fleet.clusters().len(), "{names:?}");
}

/// Without an engine, the fleet's gitops.path stays as the values give it.
#[test]
fn a_fleet_without_an_engine_keeps_its_path() {
    let fleet = example_fleet();
    for name in fleet.names() {
        let values = fleet.values(&Renderer::new(), name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(values.gitops.path, "generated");
    }
}
