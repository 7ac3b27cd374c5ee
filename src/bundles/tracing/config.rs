//! The Jaeger v2 configuration file (OpenTelemetry Collector format), built here
//! rather than in the ConfigMap's template because the Deployment carries its
//! digest too (`checksum/config`): Jaeger reads the file once at start, so a changed
//! file must restart the pod.
//!
//! The collector refuses to start on any key it does not know, so every key below
//! was checked against the sources of the pinned release, Jaeger v2.20.0, and of the
//! OpenTelemetry Collector modules its go.mod pins (core and contrib v0.155.0):
//!
//! | keys | upstream file (jaegertracing/jaeger at v2.20.0, unless named) |
//! |---|---|
//! | component names `jaeger_storage`, `jaeger_query`, `jaeger_storage_exporter` | `cmd/jaeger/internal/extension/{jaegerstorage,jaegerquery}/factory.go`, `cmd/jaeger/internal/exporters/storageexporter/factory.go` |
//! | `healthcheckv2`, `otlp`, `batch` are built in | `cmd/jaeger/internal/components.go` |
//! | `jaeger_storage.backends.<name>.memory` / `.badger` | `cmd/jaeger/internal/extension/jaegerstorage/config.go` (squashes `cmd/internal/storageconfig/config.go`) |
//! | `memory.max_traces` (0 means unbounded) | `internal/storage/v2/memory/config.go` |
//! | `badger.directories.{keys,values}`, `ephemeral` (defaults to true), `ttl.spans` | `internal/storage/v1/badger/config.go`; example `cmd/jaeger/config-badger.yaml` |
//! | `jaeger_query.storage.traces`, `base_path`, `http`, `grpc` | `cmd/jaeger/internal/extension/jaegerquery/config.go`, `.../jaegerquery/internal/flags.go` (`QueryOptions`) |
//! | `jaeger_storage_exporter.trace_storage` | `cmd/jaeger/internal/exporters/storageexporter/config.go` |
//! | `endpoint` of an HTTP or gRPC server | opentelemetry-collector v0.155.0 `config/confighttp/server.go`, `config/configgrpc/configgrpc.go`, `config/confignet/confignet.go` (squashed `NetAddr`) |
//! | `otlp.protocols.{grpc,http}`; their default endpoints are `localhost`, so they are set | opentelemetry-collector v0.155.0 `receiver/otlpreceiver/config.go`, `factory.go` |
//! | `healthcheckv2.use_v2`, `http.endpoint` (default `localhost:13133`, so it is set), `http.status.{enabled,path}` | opentelemetry-collector-contrib `internal/healthcheck/config.go` and `internal/healthcheck/internal/http/config.go` (where the extension's config lives since v0.15x; go.mod pins `internal/healthcheck v0.155.0`). The contrib repository is too large to fetch whole, so these were read from stored copies of the v0.156 line and of earlier releases, which agree on every key used here; Jaeger's own `cmd/jaeger/internal/all-in-one.yaml`, `examples/otel-demo/jaeger-config.yaml` and the `/status` probe of `docker-compose/kafka/docker-compose.yml` use the same keys |
//! | `service.extensions`, `service.pipelines.traces.{receivers,processors,exporters}` | opentelemetry-collector v0.155.0 `service/`, and every `cmd/jaeger/config*.yaml` |

use serde_json::{json, Value as Json};

use crate::values::tracing::{Backend, Tracing, HEALTH_PORT, QUERY_GRPC_PORT};

/// The name of the one trace store, which the query extension reads and the exporter writes.
const STORE: &str = "traces";

/// Where the Badger PersistentVolumeClaim is mounted.
pub(crate) const BADGER_DIR: &str = "/badger";

/// The health check's path (the extension's default, written out so the probes and
/// the config visibly agree).
pub(crate) const HEALTH_PATH: &str = "/status";

/// The Jaeger configuration for `t`, with the query service under `base_path`.
pub(super) fn jaeger_config(t: &Tracing, base_path: &str) -> Json {
    // Listeners that the Service or the kubelet reach bind every address: the
    // linkerd-proxy forwards inbound connections to the pod's IP, not to localhost.
    let everywhere = |port: u16| format!("0.0.0.0:{port}");
    let backend = match t.storage.backend {
        Backend::Memory => json!({"memory": {"max_traces": t.storage.memory.max_traces}}),
        Backend::Badger => json!({"badger": {
            "directories": {
                "keys": format!("{BADGER_DIR}/keys"),
                "values": format!("{BADGER_DIR}/values"),
            },
            // Badger's default is a temporary directory, thrown away on restart.
            "ephemeral": false,
            "ttl": {"spans": t.storage.badger.span_ttl},
        }}),
    };
    json!({
        "extensions": {
            "jaeger_storage": {"backends": {STORE: backend}},
            "jaeger_query": {
                "base_path": base_path,
                "storage": {"traces": STORE},
                "http": {"endpoint": everywhere(t.query.port)},
                // Nothing outside the pod needs the gRPC query API, and no Server
                // guards it: keep it on loopback, so traces are read only through
                // the authorized HTTP port.
                "grpc": {"endpoint": format!("127.0.0.1:{QUERY_GRPC_PORT}")},
            },
            "healthcheckv2": {
                "use_v2": true,
                "http": {
                    "endpoint": everywhere(HEALTH_PORT),
                    "status": {"enabled": true, "path": HEALTH_PATH},
                },
            },
        },
        "receivers": {
            "otlp": {"protocols": {
                "grpc": {"endpoint": everywhere(t.collector.grpc_port)},
                "http": {"endpoint": everywhere(t.collector.http_port)},
            }},
        },
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": STORE}},
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {
                "receivers": ["otlp"],
                "processors": ["batch"],
                "exporters": ["jaeger_storage_exporter"],
            }},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key path the configuration may hold, each checked upstream (see the
    /// table above). `*` stands for a name of our choosing (the store).
    const VERIFIED: &[&str] = &[
        "extensions.jaeger_storage.backends.*.memory.max_traces",
        "extensions.jaeger_storage.backends.*.badger.directories.keys",
        "extensions.jaeger_storage.backends.*.badger.directories.values",
        "extensions.jaeger_storage.backends.*.badger.ephemeral",
        "extensions.jaeger_storage.backends.*.badger.ttl.spans",
        "extensions.jaeger_query.base_path",
        "extensions.jaeger_query.storage.traces",
        "extensions.jaeger_query.http.endpoint",
        "extensions.jaeger_query.grpc.endpoint",
        "extensions.healthcheckv2.use_v2",
        "extensions.healthcheckv2.http.endpoint",
        "extensions.healthcheckv2.http.status.enabled",
        "extensions.healthcheckv2.http.status.path",
        "receivers.otlp.protocols.grpc.endpoint",
        "receivers.otlp.protocols.http.endpoint",
        "processors.batch",
        "exporters.jaeger_storage_exporter.trace_storage",
        "service.extensions",
        "service.pipelines.traces.receivers",
        "service.pipelines.traces.processors",
        "service.pipelines.traces.exporters",
    ];

    /// The dotted paths of the leaves of `value` (lists and empty maps are leaves).
    fn leaves(value: &Json, at: &str, out: &mut Vec<String>) {
        match value {
            Json::Object(map) if !map.is_empty() => {
                for (key, child) in map {
                    let key = if at == "extensions.jaeger_storage.backends" {
                        "*"
                    } else {
                        key
                    };
                    let path = if at.is_empty() {
                        key.to_string()
                    } else {
                        format!("{at}.{key}")
                    };
                    leaves(child, &path, out);
                }
            }
            _ => out.push(at.to_string()),
        }
    }

    fn tracing(overlay: &str) -> Tracing {
        crate::test_support::values(overlay).tracing
    }

    #[test]
    fn every_key_is_one_verified_upstream() {
        for overlay in ["", "tracing: {storage: {backend: badger}}"] {
            let mut found = Vec::new();
            leaves(&jaeger_config(&tracing(overlay), "/jaeger"), "", &mut found);
            for path in &found {
                assert!(
                    VERIFIED.contains(&path.as_str()),
                    "{overlay:?}: `{path}` was not verified upstream"
                );
            }
        }
    }

    #[test]
    fn the_pipeline_names_only_configured_components() {
        let config = jaeger_config(&tracing(""), "/jaeger");
        let pipeline = &config["service"]["pipelines"]["traces"];
        for (section, kind) in [
            ("receivers", "receivers"),
            ("processors", "processors"),
            ("exporters", "exporters"),
        ] {
            for name in pipeline[kind].as_array().expect("a list") {
                let name = name.as_str().expect("a name");
                assert!(config[section].get(name).is_some(), "{kind}: {name} is not configured");
            }
        }
        for name in config["service"]["extensions"].as_array().expect("a list") {
            let name = name.as_str().expect("a name");
            assert!(
                config["extensions"].get(name).is_some(),
                "extension {name} is not configured"
            );
        }
        let store = &config["exporters"]["jaeger_storage_exporter"]["trace_storage"];
        assert_eq!(&config["extensions"]["jaeger_query"]["storage"]["traces"], store);
        let store = store.as_str().expect("a name");
        assert!(config["extensions"]["jaeger_storage"]["backends"].get(store).is_some());
    }

    #[test]
    fn badger_keeps_its_data_on_the_volume_for_the_ttl() {
        let config = jaeger_config(
            &tracing("tracing: {storage: {backend: badger, badger: {spanTtl: 12h}}}"),
            "/",
        );
        let badger = &config["extensions"]["jaeger_storage"]["backends"][STORE]["badger"];
        assert_eq!(badger["ephemeral"], false);
        assert_eq!(badger["ttl"]["spans"], "12h");
        assert_eq!(badger["directories"]["keys"], "/badger/keys");
        let memory = jaeger_config(&tracing("tracing: {storage: {memory: {maxTraces: 7}}}"), "/");
        assert_eq!(
            memory["extensions"]["jaeger_storage"]["backends"][STORE]["memory"]["max_traces"],
            7
        );
    }
}
