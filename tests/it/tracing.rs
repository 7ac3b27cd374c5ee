//! The tracing bundle and the control plane, rendered together: the collector the
//! control plane points at is the one this bundle renders, under any namespace,
//! Service name, port or cluster domain; and tracing off is upstream's tracing off.

use crate::common;

use meshgen::Output as Trees;
use serde_json::{json, Value};

fn render(overlay: &str) -> Trees {
    common::output(overlay)
}

fn parse(text: &str) -> Value {
    crate::common::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Every object of `bundle`, parsed.
fn objects(trees: &Trees, bundle: &str) -> Vec<Value> {
    let prefix = format!("{bundle}/");
    trees
        .generated()
        .files
        .iter()
        .filter(|(path, _)| path.starts_with(&prefix))
        .map(|(_, text)| parse(text))
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// linkerd-config's `values`, parsed.
fn linkerd_config_values(trees: &Trees) -> Value {
    let config = parse(&trees.generated().files["linkerd/configmap-linkerd-config.yaml"]);
    parse(config["data"]["values"].as_str().expect("values"))
}

/// The trace settings of every linkerd-proxy container and controller of the control plane.
struct ControlPlaneTracing {
    proxy_addrs: Vec<String>,
    proxy_names: Vec<String>,
    controller_flags: Vec<String>,
}

fn control_plane_tracing(trees: &Trees) -> ControlPlaneTracing {
    let mut out = ControlPlaneTracing {
        proxy_addrs: Vec::new(),
        proxy_names: Vec::new(),
        controller_flags: Vec::new(),
    };
    for object in objects(trees, "linkerd").iter().filter(|o| o["kind"] == "Deployment") {
        let spec = &object["spec"]["template"]["spec"];
        let containers = spec["containers"].as_array().into_iter().flatten();
        let init = spec["initContainers"].as_array().into_iter().flatten();
        for container in containers.chain(init) {
            for env in container["env"].as_array().into_iter().flatten() {
                let value = env["value"].as_str().unwrap_or_default().to_string();
                match env["name"].as_str() {
                    Some("LINKERD2_PROXY_TRACE_COLLECTOR_SVC_ADDR") => out.proxy_addrs.push(value),
                    Some("LINKERD2_PROXY_TRACE_COLLECTOR_SVC_NAME") => out.proxy_names.push(value),
                    _ => {}
                }
            }
            for arg in container["args"].as_array().into_iter().flatten() {
                if let Some(flag) = arg.as_str().and_then(|a| a.strip_prefix("-trace-collector=")) {
                    out.controller_flags.push(flag.to_string());
                }
            }
        }
    }
    out
}

/// Overlays that move the collector: (overlay, collector address, collector mesh identity).
const MOVES: &[(&str, &str, &str)] = &[
    (
        "",
        "collector.linkerd-jaeger.svc.cluster.local:4317",
        "jaeger.linkerd-jaeger.serviceaccount.identity.linkerd.cluster.local",
    ),
    (
        "clusterDomain: example.org",
        "collector.linkerd-jaeger.svc.example.org:4317",
        "jaeger.linkerd-jaeger.serviceaccount.identity.linkerd.cluster.local",
    ),
    (
        "tracing: {namespace: observability, serviceAccount: otel, collector: {service: otlp, grpcPort: 14317}}",
        "otlp.observability.svc.cluster.local:14317",
        "otel.observability.serviceaccount.identity.linkerd.cluster.local",
    ),
];

#[test]
fn the_control_plane_points_at_the_collector_this_bundle_renders() {
    for (overlay, address, identity) in MOVES {
        let trees = render(overlay);
        let values = common::values(overlay);
        let t = &values.tracing;

        // The collector side: its Service, the port the control plane dials, its ServiceAccount.
        let jaeger = objects(&trees, "linkerd-jaeger");
        let service = find(&jaeger, "Service", &t.collector.service);
        assert_eq!(service["metadata"]["namespace"], t.namespace.as_str(), "{overlay}");
        let port = address
            .rsplit_once(':')
            .map(|(_, p)| p.parse::<u64>().expect("port"))
            .expect("host:port");
        assert!(
            service["spec"]["ports"]
                .as_array()
                .expect("ports")
                .iter()
                .any(|p| p["port"] == port),
            "{overlay}: the collector Service has no port {port}"
        );
        let deployment = find(&jaeger, "Deployment", "jaeger");
        assert_eq!(
            deployment["spec"]["template"]["spec"]["serviceAccountName"],
            t.service_account.as_str()
        );
        find(&jaeger, "ServiceAccount", &t.service_account);
        find(&jaeger, "Namespace", &t.namespace);
        let host = format!(
            "{}.{}.svc.{}",
            service["metadata"]["name"].as_str().expect("name"),
            t.namespace,
            values.cluster_domain
        );
        assert_eq!(address.split(':').next(), Some(host.as_str()), "{overlay}");

        // The control plane side: every proxy, every controller flag, linkerd-config.
        let cp = control_plane_tracing(&trees);
        assert_eq!(
            cp.proxy_addrs.len(),
            3,
            "{overlay}: one proxy per controller Deployment"
        );
        assert!(
            cp.proxy_addrs.iter().all(|a| a == address),
            "{overlay}: {:?}",
            cp.proxy_addrs
        );
        assert!(
            cp.proxy_names.iter().all(|n| n == identity),
            "{overlay}: {:?}",
            cp.proxy_names
        );
        assert_eq!(
            cp.controller_flags,
            [*address, *address],
            "{overlay}: destination and identity"
        );
        let config = linkerd_config_values(&trees);
        assert_eq!(config["controller"]["tracing"]["collector"]["endpoint"], *address);
        let proxy = &config["proxy"]["tracing"];
        assert_eq!(proxy["collector"]["endpoint"], *address);
        assert_eq!(proxy["collector"]["meshIdentity"]["namespace"], t.namespace.as_str());
        assert_eq!(
            proxy["collector"]["meshIdentity"]["serviceAccountName"],
            t.service_account.as_str()
        );
        assert_eq!(proxy["enabled"], true);
    }
}

/// What charts/linkerd-control-plane/values.yaml at edge-26.8.3 holds for tracing,
/// which is what `linkerd install` writes into linkerd-config with its defaults.
fn upstream_tracing_defaults() -> (Value, Value) {
    let controller = json!({"collector": {"endpoint": ""}, "enabled": false});
    let proxy = json!({
        "collector": {"endpoint": "", "meshIdentity": {"namespace": "", "serviceAccountName": ""}},
        "enabled": false,
        "labels": {
            "k8s.container.name": "$(_pod_containerName)",
            "k8s.pod.ip": "$(_pod_ip)",
            "k8s.pod.uid": "$(_pod_uid)",
        },
        "traceServiceName": "linkerd-proxy",
    });
    (controller, proxy)
}

#[test]
fn tracing_off_gives_the_control_plane_upstreams_defaults() {
    let trees = render("tracing: {enabled: false}");
    assert!(
        objects(&trees, "linkerd-jaeger").is_empty(),
        "the tracing bundle is not rendered"
    );

    let config = linkerd_config_values(&trees);
    let (controller, proxy) = upstream_tracing_defaults();
    assert_eq!(config["controller"]["tracing"], controller);
    assert_eq!(config["proxy"]["tracing"], proxy);

    let cp = control_plane_tracing(&trees);
    assert!(cp.proxy_addrs.is_empty() && cp.proxy_names.is_empty() && cp.controller_flags.is_empty());
    for (path, text) in &trees.generated().files {
        if path.starts_with("linkerd/") && path != "linkerd/configmap-linkerd-config.yaml" {
            for trace in [
                "LINKERD2_PROXY_TRACE",
                "trace-collector",
                "linkerd-podinfo",
                "linkerd-jaeger",
            ] {
                assert!(!text.contains(trace), "{path} still mentions {trace}");
            }
        }
    }
}

#[test]
fn tracing_off_changes_only_tracing_in_the_control_plane() {
    let on = render("");
    let off = render("tracing: {enabled: false}");
    let mut on_config = linkerd_config_values(&on);
    let mut off_config = linkerd_config_values(&off);
    for config in [&mut on_config, &mut off_config] {
        config["controller"]["tracing"] = Value::Null;
        config["proxy"]["tracing"] = Value::Null;
    }
    assert_eq!(on_config, off_config, "linkerd-config differs beyond its tracing keys");
    // Files without a proxy (whose trace settings the other test covers) must not change.
    for (path, text) in &off.generated().files {
        let with_proxy = on.generated().files[path].contains("LINKERD2_PROXY_TRACE");
        if path.starts_with("linkerd/") && !with_proxy && path != "linkerd/configmap-linkerd-config.yaml" {
            assert_eq!(text, &on.generated().files[path], "{path}");
        }
    }
}

#[test]
fn every_policy_and_service_names_something_rendered() {
    for overlay in ["", "tracing: {storage: {backend: badger}}"] {
        let jaeger = objects(&render(overlay), "linkerd-jaeger");
        let pod = &find(&jaeger, "Deployment", "jaeger")["spec"]["template"];
        let container_ports: Vec<&Value> = pod["spec"]["containers"][0]["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .map(|p| &p["name"])
            .collect();
        let selects_the_pod = |selector: &Value| {
            let labels = selector.as_object().expect("a selector");
            assert!(!labels.is_empty());
            labels.iter().all(|(k, v)| &pod["metadata"]["labels"][k] == v)
        };
        let mut servers = 0;
        for object in &jaeger {
            let name = &object["metadata"]["name"];
            match object["kind"].as_str() {
                Some("Service") => {
                    assert!(selects_the_pod(&object["spec"]["selector"]), "Service {name}");
                    for port in object["spec"]["ports"].as_array().expect("ports") {
                        assert!(container_ports.contains(&&port["targetPort"]), "Service {name}: {port}");
                    }
                }
                Some("Server") => {
                    servers += 1;
                    assert!(
                        selects_the_pod(&object["spec"]["podSelector"]["matchLabels"]),
                        "Server {name}"
                    );
                    assert!(container_ports.contains(&&object["spec"]["port"]), "Server {name}");
                }
                Some("AuthorizationPolicy") => {
                    let target = &object["spec"]["targetRef"];
                    find(
                        &jaeger,
                        target["kind"].as_str().expect("kind"),
                        target["name"].as_str().expect("name"),
                    );
                    for auth in object["spec"]["requiredAuthenticationRefs"].as_array().expect("refs") {
                        find(
                            &jaeger,
                            auth["kind"].as_str().expect("kind"),
                            auth["name"].as_str().expect("name"),
                        );
                    }
                }
                _ => {}
            }
        }
        assert_eq!(servers, 3, "OTLP gRPC, OTLP HTTP and the query port");
    }
}

#[test]
fn only_the_viz_dashboard_may_query_and_any_meshed_workload_may_export() {
    let jaeger = objects(&render(""), "linkerd-jaeger");
    let query = find(&jaeger, "AuthorizationPolicy", "query");
    let auth_name = query["spec"]["requiredAuthenticationRefs"][0]["name"]
        .as_str()
        .expect("name");
    let viz = find(&jaeger, "MeshTLSAuthentication", auth_name);
    assert_eq!(
        viz["spec"]["identityRefs"],
        json!([{"kind": "ServiceAccount", "name": "web", "namespace": "linkerd-viz"}])
    );
    let export = find(&jaeger, "AuthorizationPolicy", "otlp-grpc");
    let auth_name = export["spec"]["requiredAuthenticationRefs"][0]["name"]
        .as_str()
        .expect("name");
    assert_eq!(
        find(&jaeger, "MeshTLSAuthentication", auth_name)["spec"]["identities"],
        json!(["*"])
    );
    assert_eq!(find(&jaeger, "Server", "otlp-grpc")["spec"]["port"], "grpc-otlp");
}

#[test]
fn the_root_filesystem_is_read_only_and_badger_alone_gets_a_claim() {
    let memory = objects(&render(""), "linkerd-jaeger");
    assert!(!memory.iter().any(|o| o["kind"] == "PersistentVolumeClaim"));
    let pod = &find(&memory, "Deployment", "jaeger")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .map(|m| m["mountPath"].as_str().expect("path"))
        .collect();
    assert_eq!(mounts, ["/etc/jaeger", "/tmp"]);

    let badger = objects(
        &render("tracing: {storage: {backend: badger, badger: {size: 5Gi}}}"),
        "linkerd-jaeger",
    );
    let claim = find(&badger, "PersistentVolumeClaim", "jaeger-badger");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "5Gi");
    let deployment = find(&badger, "Deployment", "jaeger");
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
    let pod = &deployment["spec"]["template"]["spec"];
    let badger_mount = pod["containers"][0]["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == "badger")
        .expect("a badger mount");
    let config = parse(
        find(&badger, "ConfigMap", "jaeger")["data"]["config.yaml"]
            .as_str()
            .expect("config"),
    );
    let dirs = &config["extensions"]["jaeger_storage"]["backends"]["traces"]["badger"]["directories"];
    let mount = badger_mount["mountPath"].as_str().expect("path");
    for dir in [&dirs["keys"], &dirs["values"]] {
        assert!(
            dir.as_str().expect("dir").starts_with(&format!("{mount}/")),
            "{dir} is not on the claim"
        );
    }
}

#[test]
fn the_query_service_serves_under_the_prefix_the_viz_dashboard_forwards() {
    let jaeger = objects(&render(""), "linkerd-jaeger");
    let config = parse(
        find(&jaeger, "ConfigMap", "jaeger")["data"]["config.yaml"]
            .as_str()
            .expect("config"),
    );
    assert_eq!(config["extensions"]["jaeger_query"]["base_path"], "/jaeger");
    // The dashboard is told the same address the query Service has.
    let web = find(&objects(&render(""), "linkerd-viz"), "Deployment", "web").clone();
    let args = web["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .clone();
    assert!(
        args.contains(&Value::from(
            "-jaeger-addr=jaeger.linkerd-jaeger.svc.cluster.local:16686"
        )),
        "{args:?}"
    );
}
