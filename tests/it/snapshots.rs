//! Snapshot tests of the configurations in tests/configs/, each as what it changes
//! relative to the default render.
//!
//! The default configuration is reviewed where it lives, in `generated/` (guarded by
//! `cargo xtask render --check`), so it has no snapshot. Each other configuration's
//! snapshot lists, object by object, the fields it changes, the objects it adds (in
//! full: they are nowhere else) and the ones it drops. A change to the defaults then
//! shows in a configuration's snapshot only where it meets what that configuration
//! changes, and every change appears once in a review. Both sides render with the
//! test-only certificates. Review changes with `cargo insta review`.

use crate::common;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

#[test]
fn configurations_show_what_they_change() {
    let default = objects(&common::output(""));
    insta::glob!("..", "configs/*.yaml", |path| {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("config")
            .to_string();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let output = common::renderer()
            .values_text(&format!("tests/configs/{name}.yaml"), &text)
            .render(common::now())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let review = review(&default, &objects(&output), &output);
        assert!(
            !review.is_empty(),
            "{name} changes nothing: drop it, or make it change something"
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_input_file(path);
        settings.bind(|| insta::assert_snapshot!(name.clone(), review));
    });
}

/// The example fleet (examples/fleet/), each cluster as what it changes relative to the
/// default render, or, for a cluster that runs the multicluster extension, to the
/// `multicluster-default-on` configuration (whose snapshot shows the extension): its
/// Links, their controllers, its Dgraph export.
#[test]
fn the_example_fleet_shows_what_each_cluster_changes() {
    let default = objects(&common::output(""));
    let with_extension = objects(&common::output("multicluster: {enabled: true}"));
    let path = camino::Utf8Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fleet/fleet.yaml"));
    let dir = path.parent().unwrap_or(path);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fleet = meshgen::Fleet::parse("examples/fleet/fleet.yaml", &text, &mut |_, file| {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        Ok(meshgen::ValuesSource::new(format!("examples/fleet/{file}"), text))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let certs = (fleet.names().into_iter())
        .map(|n| (n.to_owned(), common::test_certs()))
        .collect();
    let output = fleet
        .render(&meshgen::Renderer::new(), &certs, common::now(), 2, None)
        .unwrap_or_else(|e| panic!("{e}"));
    for (name, cluster) in output.clusters() {
        let base = if cluster.values().multicluster.enabled {
            &with_extension
        } else {
            &default
        };
        let review = review(base, &objects(cluster), cluster);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(format!("fleet-{name}"), review));
    }
}

/// The parsed files of `generated/`, the lock file aside (its digests would only
/// repeat which files changed).
fn objects(output: &meshgen::Output) -> BTreeMap<String, Value> {
    (output.generated().files.iter())
        .filter(|(path, _)| *path != "meshgen.lock")
        .map(|(path, text)| {
            (
                path.clone(),
                crate::common::parse(text).unwrap_or_else(|e| panic!("{path}: {e}")),
            )
        })
        .collect()
}

/// Files only in `config` are paired with files only in `default` of the same bundle
/// and kind, in name order (a renamed object is a change, not a drop and an add). An
/// added file is shown as `output` wrote it.
fn review(default: &BTreeMap<String, Value>, config: &BTreeMap<String, Value>, output: &meshgen::Output) -> String {
    let group = |path: &str, v: &Value| {
        let bundle = path.split_once('/').map_or("", |(b, _)| b).to_string();
        (bundle, v["kind"].as_str().unwrap_or("").to_string())
    };
    let mut dropped: Vec<&String> = default.keys().filter(|p| !config.contains_key(*p)).collect();
    let mut out = String::new();
    for (path, new) in config {
        if let Some(old) = default.get(path) {
            let mut lines = Vec::new();
            diff(old, new, "", &mut lines);
            if !lines.is_empty() {
                let _ = writeln!(out, "~ {path}");
                lines.iter().for_each(|l| out.push_str(&format!("    {l}\n")));
            }
            continue;
        }
        let partner = dropped
            .iter()
            .position(|d| group(d, &default[*d]) == group(path, new))
            .map(|i| dropped.remove(i));
        match partner {
            Some(old_path) => {
                let mut lines = Vec::new();
                diff(&default[old_path], new, "", &mut lines);
                let _ = writeln!(out, "~ {old_path} -> {path}");
                lines.iter().for_each(|l| out.push_str(&format!("    {l}\n")));
            }
            None => {
                let _ = writeln!(out, "+ {path}");
                // The file as written, without its "generated by meshgen" header.
                let text = &output.generated().files[path];
                for line in text.lines().skip(1) {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    for path in dropped {
        let _ = writeln!(out, "- {path}");
    }
    out
}

/// One line per changed field: `path: old -> new`, `path: + value`, `path: - value`.
/// Lists of named items (containers, env, ports, volumes) are matched by name, lists of
/// plain values as sequences, other lists by position; multi-line strings by line.
fn diff(old: &Value, new: &Value, path: &str, out: &mut Vec<String>) {
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get(key) {
                    Some(before) => diff(before, value, &at(key), out),
                    None => out.push(format!("{}: + {}", at(key), show(value))),
                }
            }
            for (key, value) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
                out.push(format!("{}: - {}", at(key), show(value)));
            }
        }
        (Value::Array(a), Value::Array(b)) if names(a).is_some() && names(b).is_some() => {
            let find = |list: &[Value], n: &str| list.iter().find(|v| v["name"] == n).cloned();
            for item in b {
                let n = item["name"].as_str().unwrap_or_default();
                let item_path = format!("{path}[name={n}]");
                match find(a, n) {
                    Some(before) => diff(&before, item, &item_path, out),
                    None => out.push(format!("{item_path}: + {}", show(item))),
                }
            }
            for item in a
                .iter()
                .filter(|v| find(b, v["name"].as_str().unwrap_or_default()).is_none())
            {
                out.push(format!(
                    "{path}[name={}]: - {}",
                    item["name"].as_str().unwrap_or_default(),
                    show(item)
                ));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.iter().chain(b).all(|v| !v.is_object() && !v.is_array()) => {
            let (a, b): (Vec<String>, Vec<String>) = (a.iter().map(show).collect(), b.iter().map(show).collect());
            for op in similar::capture_diff_slices(similar::Algorithm::Myers, &a, &b) {
                for change in op.iter_changes(&a, &b) {
                    let item = change.value();
                    match change.tag() {
                        similar::ChangeTag::Equal => {}
                        similar::ChangeTag::Delete => out.push(format!("{path}: - {item}")),
                        similar::ChangeTag::Insert => out.push(format!("{path}: + {item}")),
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, pair) in a.iter().zip(b).enumerate() {
                diff(pair.0, pair.1, &format!("{path}[{i}]"), out);
            }
            for (i, item) in b.iter().enumerate().skip(a.len()) {
                out.push(format!("{path}[{i}]: + {}", show(item)));
            }
            for (i, item) in a.iter().enumerate().skip(b.len()) {
                out.push(format!("{path}[{i}]: - {}", show(item)));
            }
        }
        (Value::String(a), Value::String(b)) if a != b && (a.contains('\n') || b.contains('\n')) => {
            out.push(format!("{path}: (lines)"));
            for change in similar::TextDiff::from_lines(a, b).iter_all_changes() {
                let sign = match change.tag() {
                    similar::ChangeTag::Equal => continue,
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                };
                out.push(format!("  {sign} {}", change.value().trim_end_matches('\n')));
            }
        }
        (a, b) if a != b => out.push(format!("{path}: {} -> {}", show(a), show(b))),
        _ => {}
    }
}

/// The `name` of every item, when every item is an object that has one.
fn names(list: &[Value]) -> Option<Vec<&str>> {
    list.iter().map(|v| v.get("name").and_then(Value::as_str)).collect()
}

fn show(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
