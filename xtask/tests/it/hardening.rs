//! Hostile placements and values through the command line, one case per file:
//! tests/inputs/hardening/*.yaml, and every tests/inputs/values-errors/*.yaml passed
//! with `--values`. Each case runs in a fresh sandbox holding a copy of the test-only
//! certificate store as certs/, and asserts the exit status, what stderr names, that
//! the trees it did not mean to change (generated/, secrets/, certs/, by hash,
//! symbolic links and empty directories included) are unchanged, and that no private
//! key ever appears under generated/.
//!
//! A case file:
//! ```yaml
//! setup:                 # in order, inside the sandbox
//!   - render             # a good render into generated/ and secrets/
//!   - mkdir: some/dir
//!   - write: {path: some/file, text: "..."}
//!   - remove: some/file
//!   - symlink: {path: link, to: target, replace: true}
//! args: [render, ...]    # --certs certs, --out generated, --secrets-out secrets added when absent
//! exit: 1
//! stderr: [substrings]   # stdout: [...] and stdout_lacks: [...] likewise
//! changed: [secrets]     # trees allowed to change; default none
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

/// A case file, read by serde-saphyr.
fn parse(text: &str) -> Result<serde_json::Value, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}
use sha2::Digest;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");
const CHECKOUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const TREES: [&str; 3] = ["generated", "secrets", "certs"];

fn run(sandbox: &Path, args: &[String]) -> Output {
    let mut full: Vec<String> = args.to_vec();
    if full.first().map(String::as_str) == Some("render") {
        for (flag, value) in [
            ("--certs", "certs"),
            ("--out", "generated"),
            ("--secrets-out", "secrets"),
        ] {
            if !full.iter().any(|a| a == flag) {
                full.extend([flag.to_string(), value.to_string()]);
            }
        }
    }
    Command::new(XTASK)
        .args(&full)
        .current_dir(sandbox)
        .env("CARGO_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("xtask runs")
}

/// Every entry under `dir`, by relative path: a file's bytes, a link's target, or a
/// marker for a directory (so an empty one counts). Links are never followed.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return out;
    };
    if meta.file_type().is_symlink() {
        out.insert(String::new(), format!("link -> {:?}", std::fs::read_link(dir).ok()));
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("list").map(|e| e.expect("entry")) {
            let path = entry.path();
            let rel = path.strip_prefix(dir).expect("inside").display().to_string();
            let kind = entry.file_type().expect("stat");
            let value = if kind.is_symlink() {
                format!("link -> {:?}", std::fs::read_link(&path).ok())
            } else if kind.is_dir() {
                stack.push(path);
                "dir".to_string()
            } else {
                let bytes = std::fs::read(&path).expect("read");
                format!("{:x}", sha2::Sha256::digest(&bytes))
            };
            out.insert(rel, value);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list").map(|e| e.expect("entry")) {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("stat").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn strings(case: &serde_json::Value, key: &str) -> Vec<String> {
    case.get(key)
        .and_then(|v| v.as_array())
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn setup(sandbox: &Path, step: &serde_json::Value) {
    let field = |k: &str| step.get(k);
    let arg = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(|s| sandbox.join(s));
    if step.as_str() == Some("render") && !sandbox.join("generated").exists() {
        // The first render of a sandbox gives the same trees every time: copy them.
        copy_dir(&first_render().join("generated"), &sandbox.join("generated"));
        copy_dir(&first_render().join("secrets"), &sandbox.join("secrets"));
    } else if step.as_str() == Some("render") {
        let out = run(sandbox, &["render".to_string()]);
        assert!(
            out.status.success(),
            "setup render: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else if let Some(dir) = field("mkdir").and_then(|d| d.as_str()) {
        std::fs::create_dir_all(sandbox.join(dir)).expect("mkdir");
    } else if let Some(w) = field("write") {
        let path = arg(w, "path").expect("write.path");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, w.get("text").and_then(|t| t.as_str()).unwrap_or_default()).expect("write");
    } else if let Some(path) = field("remove").and_then(|r| r.as_str()) {
        std::fs::remove_file(sandbox.join(path)).expect("remove");
    } else if let Some(l) = field("symlink") {
        let path = arg(l, "path").expect("symlink.path");
        if l.get("replace").and_then(|r| r.as_bool()) == Some(true) {
            std::fs::remove_file(&path).expect("remove the file the link replaces");
        }
        let to = l.get("to").and_then(|t| t.as_str()).expect("symlink.to");
        std::os::unix::fs::symlink(to, path).expect("symlink");
    } else {
        panic!("unknown setup step {step}");
    }
}

/// A sandbox after `render` on the test store alone, made once per test run.
fn first_render() -> &'static Path {
    static SANDBOX: OnceLock<tempfile::TempDir> = OnceLock::new();
    SANDBOX
        .get_or_init(|| {
            let tmp = tempfile::tempdir().expect("tempdir");
            copy_dir(
                &Path::new(CHECKOUT).join("tests/fixtures/store"),
                &tmp.path().join("certs"),
            );
            let out = run(tmp.path(), &["render".to_string()]);
            assert!(
                out.status.success(),
                "setup render: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            tmp
        })
        .path()
}

/// Runs the cases on every core; each returns what went wrong, if anything.
fn check_cases(cases: Vec<(String, serde_json::Value)>) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let queue = Mutex::new(cases);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut failures = Vec::new();
                    while let Some((name, case)) = queue.lock().expect("queue").pop() {
                        failures.extend(check_case(&name, &case));
                    }
                    failures
                })
            })
            .collect();
        let mut all: Vec<String> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("a case panicked"))
            .collect();
        all.sort();
        all
    })
}

/// Runs one case and returns what went wrong, if anything.
fn check_case(name: &str, case: &serde_json::Value) -> Vec<String> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sandbox = tmp.path();
    copy_dir(
        &Path::new(CHECKOUT).join("tests/fixtures/store"),
        &sandbox.join("certs"),
    );
    for step in case.get("setup").and_then(|s| s.as_array()).into_iter().flatten() {
        setup(sandbox, step);
    }
    let before: Vec<_> = TREES.iter().map(|t| snapshot(&sandbox.join(t))).collect();
    let output = run(sandbox, &strings(case, "args"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    let mut problems = Vec::new();
    let want = case.get("exit").and_then(|e| e.as_i64()).unwrap_or(1);
    if output.status.code().map(i64::from) != Some(want) {
        problems.push(format!("exit {:?}, expected {want}", output.status.code()));
    }
    for s in strings(case, "stderr") {
        if !stderr.contains(&s) {
            problems.push(format!("stderr lacks {s:?}"));
        }
    }
    for s in strings(case, "stdout") {
        if !stdout.contains(&s) {
            problems.push(format!("stdout lacks {s:?}"));
        }
    }
    for s in strings(case, "stdout_lacks") {
        if stdout.contains(&s) {
            problems.push(format!("stdout holds {s:?}"));
        }
    }
    if want != 0 && !stderr.contains("help:") && !stderr.contains("run `cargo xtask") {
        problems.push("the error says nothing about what to do (no `help:`)".into());
    }
    let changed = strings(case, "changed");
    for (tree, old) in TREES.iter().zip(&before) {
        if !changed.iter().any(|c| c == tree) && snapshot(&sandbox.join(tree)) != *old {
            problems.push(format!("{tree}/ changed"));
        }
    }
    for (path, _) in snapshot(&sandbox.join("generated")) {
        let full = sandbox.join("generated").join(&path);
        let is_file = std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_file());
        if is_file
            && std::fs::read_to_string(&full)
                .unwrap_or_default()
                .contains("PRIVATE KEY")
        {
            problems.push(format!("generated/{path} holds a private key"));
        }
    }
    problems
        .into_iter()
        .map(|p| format!("{name}: {p}\n--- stdout\n{stdout}--- stderr\n{stderr}"))
        .collect()
}

#[test]
fn hostile_placements_are_refused_and_leave_every_tree_as_it_was() {
    let mut cases = Vec::new();
    insta::glob!(CHECKOUT, "tests/inputs/hardening/*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("read case");
        let case = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        cases.push((name.to_string(), case));
    });
    assert!(cases.len() >= 18, "only {} hardening cases found", cases.len());
    let failures = check_cases(cases);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Each bad-values case, as a user would hit it: `render --values` on a checkout that
/// already rendered. The message names the file and the key; nothing is written.
#[test]
fn bad_values_through_the_command_line_write_nothing() {
    let mut cases = Vec::new();
    insta::glob!(CHECKOUT, "tests/inputs/values-errors/*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("read case");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let key = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect-path: "))
            .unwrap_or_default();
        let overlay = format!("overlays/{name}");
        let case = serde_json::json!({
            "setup": ["render", {"write": {"path": overlay, "text": text}}],
            "args": ["render", "--values", overlay],
            "exit": 1,
            "stderr": [overlay, key, "help:"],
        });
        cases.push((name.to_string(), case));
    });
    assert!(cases.len() >= 75, "only {} values-error cases found", cases.len());
    let failures = check_cases(cases);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
