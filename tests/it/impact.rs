//! What a change does to a running cluster, as the summary after a render says it, and
//! the changes the API server refuses, caught before anything is written. One case per
//! file: tests/inputs/immutable/*.yaml (a refused field, or none) and
//! tests/inputs/impact/*.yaml (the summary, snapshotted).
//!
//! A case renders the defaults (plus `values`) into a temporary directory, optionally
//! edits a file there as an older render would have written it (`edit`), then renders
//! again with `then` added, or with a rotated issuer (`rotate: issuer`).

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use meshgen::{CertStore, Error, Output, Renderer};
use serde::Deserialize;
use serde_json::Value;

use crate::common;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    values: String,
    #[serde(default)]
    then: String,
    edit: Option<Edit>,
    rotate: Option<String>,
    #[serde(default)]
    refused: Option<Refused>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    pointer: String,
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refused {
    object: String,
    field: String,
}

fn render(store: &CertStore, overlays: &[&str]) -> Output {
    (overlays.iter().enumerate())
        .fold(Renderer::new().certs(store.clone()), |r, (i, o)| {
            r.values_text(&format!("overlay-{i}.yaml"), o)
        })
        .render(common::now())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every file below `dir` with its bytes.
fn contents(dir: &Utf8Path) -> BTreeMap<Utf8PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in d.read_dir_utf8().into_iter().flatten().flatten() {
            let path = entry.path().to_owned();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// The first render written, the edit made, and the second render, not written.
struct Setup {
    _tmp: tempfile::TempDir,
    out: Utf8PathBuf,
    secrets: Utf8PathBuf,
    next: Output,
}

fn setup(path: &std::path::Path) -> (Case, Setup) {
    let text = std::fs::read_to_string(path).expect("read case");
    let case: Case = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
    let (out, secrets) = (root.join("generated"), root.join("secrets"));
    let (_store_tmp, dir) = common::tempdir();
    let mut store = common::test_certs();
    render(&store, &[&case.values])
        .write(&out, &secrets)
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(edit) = &case.edit {
        let file = out.join(&edit.file);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut object: Value = serde_saphyr::from_str(&text).expect("an object");
        // The field is set, or added to its parent.
        let (parent, key) = edit.pointer.rsplit_once('/').expect("a pointer");
        let parent = object.pointer_mut(parent).and_then(Value::as_object_mut);
        let parent = parent.unwrap_or_else(|| panic!("{file}: no {}", edit.pointer));
        parent.insert(key.replace("~1", "/").replace("~0", "~"), edit.value.clone());
        // JSON is YAML: the file reads back as the object an older render wrote.
        std::fs::write(&file, object.to_string()).expect("write");
    }
    if case.rotate.as_deref() == Some("issuer") {
        store = store.clone();
        let _ = dir;
        store
            .rotate_issuer(common::start(), &mut common::fresh)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let next = render(&store, &[&case.values, &case.then]);
    (
        case,
        Setup {
            _tmp: tmp,
            out,
            secrets,
            next,
        },
    )
}

#[test]
fn changes_the_api_server_refuses_write_nothing_unless_allowed() {
    let mut count = 0;
    insta::glob!("..", "inputs/immutable/*.yaml", |path| {
        count += 1;
        let (case, s) = setup(path);
        let before = contents(&s.out);
        let impact = s.next.impact(&s.out, &s.secrets).unwrap_or_else(|e| panic!("{e}"));
        match &case.refused {
            None => {
                assert!(impact.replaced.is_empty(), "{}: {impact}", path.display());
                s.next.write(&s.out, &s.secrets).unwrap_or_else(|e| panic!("{e}"));
            }
            Some(refused) => {
                match s.next.write(&s.out, &s.secrets) {
                    Err(Error::Immutable {
                        object, field, help, ..
                    }) => {
                        assert_eq!(
                            (object.as_str(), field.as_str()),
                            (refused.object.as_str(), refused.field.as_str())
                        );
                        assert!(help.contains("kubectl"), "the procedure names the command: {help}");
                    }
                    other => panic!("{}: expected a refusal, got {other:?}", path.display()),
                }
                assert!(contents(&s.out) == before, "{}: nothing is written", path.display());
                let listed = impact
                    .replaced
                    .iter()
                    .any(|r| r.object == refused.object && r.field == refused.field);
                assert!(
                    listed,
                    "{}: the summary lists it as replace, not update:\n{impact}",
                    path.display()
                );
                assert!(impact.to_string().contains("replace, not update"));
                let allowed = s.next.clone().allowing_replacements();
                allowed.write(&s.out, &s.secrets).unwrap_or_else(|e| panic!("{e}"));
                assert!(allowed.check(&s.out).unwrap_or_else(|e| panic!("{e}")).is_empty());
            }
        }
    });
    assert!(count >= 15, "only {count} cases");
}

#[test]
fn the_summary_says_what_a_change_does_to_the_cluster() {
    insta::glob!("..", "inputs/impact/*.yaml", |path| {
        let (_, s) = setup(path);
        let impact = s.next.impact(&s.out, &s.secrets).unwrap_or_else(|e| panic!("{e}"));
        assert!(!impact.is_empty(), "{}: every case changes something", path.display());
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("impact", impact.to_string()));
    });
}

#[test]
fn a_render_that_changes_nothing_has_no_impact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = Utf8PathBuf::from_path_buf(tmp.path().to_path_buf()).expect("utf-8");
    let output = common::output("");
    output
        .write(&root.join("generated"), &root.join("secrets"))
        .unwrap_or_else(|e| panic!("{e}"));
    let impact = output
        .impact(&root.join("generated"), &root.join("secrets"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(impact.is_empty(), "{impact}");
}
