//! `.proto` files in tests/inputs/proto/ turned into ServiceProfiles, as
//! `linkerd profile --proto` does. Each case's YAML (or error) is snapshotted. A
//! file named `malformed-*` must fail, at the place its first line gives
//! (`// expect-error-at: LINE:COL`); every other file must give a profile.

use meshgen::service_profile::{from_proto, to_yaml, Target};
use meshgen::Error;

fn target() -> Target {
    Target {
        service: "greeter".into(),
        namespace: "demo".into(),
        cluster_domain: "cluster.local".into(),
    }
}

#[test]
fn proto_files_become_service_profiles() {
    insta::glob!("..", "inputs/proto/*.proto", |path| {
        let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("x.proto");
        let result = from_proto(name, &source, &target());
        let snapshot = match (name.starts_with("malformed-"), result) {
            (false, Ok(profile)) => to_yaml(&profile),
            (false, Err(err)) => panic!("{name} must parse: {err}"),
            (true, Ok(_)) => panic!("{name} must be rejected"),
            (true, Err(err)) => {
                let expected = source
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("// expect-error-at: "))
                    .unwrap_or_else(|| panic!("{name}: first line must be `// expect-error-at: LINE:COL`"));
                match &err {
                    Error::Proto { file, line, column, .. } => {
                        assert_eq!(file, name);
                        assert_eq!(format!("{line}:{column}"), expected, "{err}");
                    }
                    other => panic!("{name}: expected a protobuf syntax error, got: {other}"),
                }
                format!("error: {err}\n")
            }
        };
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("proto_profile", snapshot));
    });
}

#[test]
fn names_are_checked_as_upstream_checks_them() {
    let source = "syntax = \"proto3\";";
    for (service, namespace, domain, what) in [
        ("9lives", "demo", "cluster.local", "service"),
        ("Greeter", "demo", "cluster.local", "service"),
        ("greeter", "demo_ns", "cluster.local", "namespace"),
        ("greeter", "demo", "cluster..local", "cluster domain"),
    ] {
        let target = Target {
            service: service.into(),
            namespace: namespace.into(),
            cluster_domain: domain.into(),
        };
        match from_proto("x.proto", source, &target) {
            Err(Error::Profile { what: got, .. }) => assert_eq!(got, what, "{service} {namespace} {domain}"),
            other => panic!("{service} {namespace} {domain}: expected a name error, got {other:?}"),
        }
    }
}
