//! The invariants of ARCHITECTURE.md that the source text can show:
//! - the modules of `src/`, and those of `xtask/src/`, form a graph without cycles;
//! - the library reads no clock, no environment variable and no network.
//!
//! A module here is a top-level module of the crate (a file or folder beside lib.rs or
//! main.rs). It imports another when its code names it: `crate::other`, a `super::`
//! path that climbs to the crate root, or an item the crate root re-exports from it.
//! Test code (`#[cfg(test)]` items, `tests.rs` files and folders named `tests`) may
//! import anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CHECKOUT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `.rs` file under `dir`, test files and folders left out, with its path
/// relative to `dir`.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("list a source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
                let text = std::fs::read_to_string(&path).expect("read a source file");
                let rel = path.strip_prefix(dir).expect("inside").to_path_buf();
                out.push((rel, text));
            }
        }
    }
    out.sort();
    out
}

/// The code of a file, comments and test code dropped. A `#[cfg(test)]` item that
/// ends at a `;` (`mod tests;`, a `use`) is dropped alone; one with a body (`mod tests
/// { ... }`) is dropped with the rest of the file, where such modules sit.
fn code(text: &str) -> String {
    let mut code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    while let Some(at) = code.find("#[cfg(test)]") {
        let rest = &code[at..];
        let end = match (rest.find(';'), rest.find('{')) {
            (Some(semi), Some(brace)) if semi < brace => at + semi + 1,
            (Some(semi), None) => at + semi + 1,
            _ => code.len(),
        };
        code.replace_range(at..end, "");
    }
    code
}

/// The identifiers that follow `prefix` in `code`, such as `values` in `crate::values`.
fn after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    code.match_indices(prefix).filter_map(move |(at, _)| {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return None;
        }
        let rest = &code[at + prefix.len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// Names the crate root re-exports, by the module they come from (`Error` -> `error`).
fn root_exports(root: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for statement in code(root).split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        for name in names.split([',', '{', '}']).map(str::trim).filter(|n| !n.is_empty()) {
            let exported = name.rsplit(" as ").next().unwrap_or(name).trim();
            out.insert(exported.to_string(), module.trim().to_string());
        }
    }
    out
}

/// The top-level module a source file belongs to, and how deep it sits under it.
fn module_of(rel: &Path) -> (String, usize) {
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let first = parts.first().cloned().unwrap_or_default();
    let top = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    let depth = match parts.last().map(String::as_str) {
        Some("mod.rs") => parts.len() - 1,
        _ => parts.len(),
    };
    (top, depth)
}

/// Module -> modules it imports, for the crate whose root file is `root` in `dir`.
fn graph(dir: &Path, root: &str) -> BTreeMap<String, BTreeSet<String>> {
    let files = sources(dir);
    let root_text = files
        .iter()
        .find(|(rel, _)| rel == Path::new(root))
        .map(|(_, t)| t.clone())
        .expect("the crate root");
    let exports = root_exports(&root_text);
    let root_items: BTreeSet<String> = after(&code(&root_text), "fn ")
        .chain(after(&code(&root_text), "struct "))
        .chain(after(&code(&root_text), "enum "))
        .chain(after(&code(&root_text), "const "))
        .chain(after(&code(&root_text), "static "))
        .map(str::to_string)
        .collect();
    let mut modules: BTreeSet<String> = BTreeSet::new();
    for (rel, _) in &files {
        let (top, _) = module_of(rel);
        if rel != Path::new(root) {
            modules.insert(top);
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in &files {
        if rel == Path::new(root) {
            continue;
        }
        let (top, depth) = module_of(rel);
        let code = code(text);
        let mut named: Vec<String> = after(&code, "crate::").map(str::to_string).collect();
        // `super::super::x` from a file `depth` levels down reaches the root at `depth`.
        let supers = "super::".repeat(depth);
        named.extend(after(&code, &supers).map(str::to_string));
        for group in code.split("crate::{").skip(1) {
            let inside = group.split('}').next().unwrap_or_default();
            named.extend(inside.split(',').filter_map(|p| {
                let first = p.trim().split("::").next()?.trim();
                (!first.is_empty()).then(|| first.to_string())
            }));
        }
        let deps = edges.entry(top.clone()).or_default();
        for name in named {
            let target = if modules.contains(&name) {
                name
            } else if let Some(module) = exports.get(&name) {
                module.clone()
            } else if root_items.contains(&name) {
                format!("the crate root ({root})")
            } else {
                continue;
            };
            if target != top {
                deps.insert(target);
            }
        }
    }
    edges
}

/// Each set of modules that import one another, directly or through others.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Two modules are in one cycle when each reaches the other.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> = edges.keys().map(|m| (m, reach(m))).collect();
    let mut found: Vec<Vec<String>> = Vec::new();
    for (m, from_m) in &reachable {
        if !from_m.contains(*m) || found.iter().any(|c| c.contains(m)) {
            continue;
        }
        let cycle: Vec<String> = reachable
            .iter()
            .filter(|(other, from_other)| from_m.contains(**other) && from_other.contains(*m))
            .map(|(other, _)| (*other).clone())
            .collect();
        found.push(cycle);
    }
    found
}

fn describe(edges: &BTreeMap<String, BTreeSet<String>>, cycle: &[String]) -> String {
    let ties: Vec<String> = cycle
        .iter()
        .flat_map(|m| {
            edges[m]
                .iter()
                .filter(|d| cycle.contains(d))
                .map(move |d| format!("{m} -> {d}"))
        })
        .collect();
    format!("{cycle:?}: {}", ties.join(", "))
}

#[test]
fn the_modules_of_the_library_and_of_the_xtask_form_no_cycle() {
    for (dir, root) in [("src", "lib.rs"), ("xtask/src", "main.rs")] {
        let edges = graph(&Path::new(CHECKOUT).join(dir), root);
        assert!(edges.len() > 5, "{dir}: only {} modules found", edges.len());
        let found = cycles(&edges);
        assert!(
            found.is_empty(),
            "{dir}: modules that import each other: {}",
            found.iter().map(|c| describe(&edges, c)).collect::<Vec<_>>().join("; ")
        );
        // Nothing imports the root of a binary, which imports every module.
        if root == "main.rs" {
            for (module, deps) in &edges {
                assert!(
                    !deps.iter().any(|d| d.starts_with("the crate root")),
                    "{dir}/{module} imports from main.rs"
                );
            }
        }
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("values", vec!["schema"]),
        ("schema", vec!["crds"]),
        ("crds", vec!["values"]),
        ("render", vec!["values"]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_string(), d.into_iter().map(str::to_string).collect()))
    .collect();
    assert_eq!(cycles(&edges), vec![vec!["crds", "schema", "values"]]);
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("lib.rs"), "mod a;\nmod b;\npub use b::Thing;\n").expect("write");
    std::fs::write(tmp.path().join("a.rs"), "use crate::Thing;\n").expect("write");
    std::fs::write(tmp.path().join("b.rs"), "pub struct Thing;\nfn f() { super::a::g() }\n").expect("write");
    let edges = graph(tmp.path(), "lib.rs");
    assert_eq!(cycles(&edges), vec![vec!["a", "b"]], "{edges:?}");
}

/// The library is a function of its inputs: the caller passes the time, and nothing in
/// src/ reads a clock, an environment variable or the network. The working directory
/// is read once, to resolve a relative output path (src/output/guard.rs).
#[test]
fn the_library_reads_no_clock_environment_or_network() {
    let forbidden = [
        "now_utc(",
        "SystemTime::now",
        "Instant::now",
        "env::var",
        "env::vars",
        "std::net::TcpStream",
        "std::net::UdpSocket",
        "env::current_dir",
    ];
    let mut found = Vec::new();
    for (rel, text) in sources(&Path::new(CHECKOUT).join("src")) {
        let code = code(&text);
        for pattern in forbidden {
            let allowed = pattern == "env::current_dir" && rel == Path::new("output/guard.rs");
            if code.contains(pattern) && !allowed {
                found.push(format!("src/{}: {pattern}", rel.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
