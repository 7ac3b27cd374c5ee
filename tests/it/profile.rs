//! `.proto` files in tests/inputs/proto/ turned into ServiceProfiles, as
//! `linkerd profile --proto` does. Each case's YAML (or error) is snapshotted. A
//! file named `malformed-*` must fail, at the place its first line gives
//! (`// expect-error-at: LINE:COL`); every other file must give a profile.
//!
//! Editions files (`editions-*`) must give the profile of their proto3 twin, and every
//! proto3 case the same profile when its `syntax` statement names an edition instead.

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

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/inputs/proto");

/// The well-formed cases whose names start with `prefix`, by name, with their text.
fn cases(prefix: &str) -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = std::fs::read_dir(CASES)
        .expect("list the proto cases")
        .map(|entry| entry.expect("an entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            let wanted = name.starts_with(prefix) && !name.starts_with("malformed-") && name.ends_with(".proto");
            wanted.then(|| (name, std::fs::read_to_string(&path).expect("read a proto case")))
        })
        .collect();
    cases.sort();
    cases
}

fn profile(name: &str, source: &str) -> Result<String, Error> {
    from_proto(name, source, &target()).map(|profile| to_yaml(&profile))
}

/// The mark of a line of editions-only syntax in an editions case; what follows it is
/// the line's proto3 reading.
const PROTO3_MARK: &str = "// proto3:";

/// The proto3 twin of an editions case: its `edition` statement replaced by
/// `syntax = "proto3";`, and each marked line by its proto3 reading, except the line
/// `keep` (an index), left as it is.
fn proto3_twin(source: &str, keep: Option<usize>) -> String {
    let lines = source.lines().enumerate().map(|(index, line)| {
        if line.starts_with("edition = ") {
            return "syntax = \"proto3\";";
        }
        match line.split_once(PROTO3_MARK) {
            Some((_, proto3)) if keep != Some(index) => proto3.trim(),
            _ => line,
        }
    });
    lines.collect::<Vec<_>>().join("\n")
}

#[test]
fn editions_files_give_the_routes_of_their_proto3_twins() {
    let cases = cases("editions-");
    assert!(cases.len() >= 4, "{cases:?}");
    for (name, source) in &cases {
        let editions = profile(name, source).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(editions.contains("pathRegex"), "{name} must have routes:\n{editions}");
        let twin = proto3_twin(source, None);
        assert!(
            !twin.lines().any(|l| l.starts_with("edition")),
            "{name}: the twin is proto3"
        );
        let proto3 = profile(name, &twin).unwrap_or_else(|e| panic!("{name} as proto3: {e}\n{twin}"));
        assert_eq!(editions, proto3, "{name}: the editions file and its proto3 twin differ");

        // Each marked line is syntax that proto3 lacks, so the editions reading is tested.
        let marked = source
            .lines()
            .enumerate()
            .filter(|(_, line)| line.contains(PROTO3_MARK));
        for (index, line) in marked {
            let err = profile(name, &proto3_twin(source, Some(index))).expect_err(line);
            match err {
                Error::Proto { line, .. } => assert_eq!(line, index + 1, "{name}: {err}"),
                other => panic!("{name}: {other}"),
            }
        }
    }
}

#[test]
fn proto3_cases_read_the_same_as_editions() {
    let proto3_cases: Vec<_> = cases("")
        .into_iter()
        .filter(|(_, s)| s.contains("\nsyntax = \"proto3\";"))
        .collect();
    assert!(proto3_cases.len() >= 8, "{proto3_cases:?}");
    for (name, source) in &proto3_cases {
        let proto3 = profile(name, source).unwrap_or_else(|e| panic!("{name}: {e}"));
        for edition in ["2023", "2024"] {
            let text = source.replacen("syntax = \"proto3\";", &format!("edition = \"{edition}\";"), 1);
            match profile(name, &text) {
                // protoc 32 removed weak imports from edition 2024.
                Err(err) if edition == "2024" && source.contains("\nimport weak ") => {
                    assert!(
                        err.to_string().contains("'import weak' is not allowed"),
                        "{name}: {err}"
                    );
                }
                result => {
                    let editions = result.unwrap_or_else(|e| panic!("{name} in edition {edition}: {e}"));
                    assert_eq!(editions, proto3, "{name} in edition {edition}");
                }
            }
        }
    }
}
