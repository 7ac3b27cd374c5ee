//! The command line as a user runs it: determinism across environments, the
//! `--check` / `--diff` freshness workflow, `--set`, `--stdout`, paths resolved at run
//! time, and the certificate commands feeding a render. Every render uses the
//! test-only store in tests/fixtures/store/, never the repository's certs/.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");
pub(crate) const TEST_STORE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/store");
/// This checkout, where cargo runs the tests from.
pub(crate) const CHECKOUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Runs xtask as `cargo xtask` would from this checkout (cargo puts the xtask
/// package's directory in `CARGO_MANIFEST_DIR`).
///
/// A render that names `--out` but not `--secrets-out` gets `<out>.secrets`, so that
/// no test writes the test store's Secrets into this checkout's `secrets/`.
pub(crate) fn run(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .cloned();
    if let (Some("render"), Some(out)) = (args.first().map(String::as_str), out) {
        if !args.iter().any(|a| a == "--secrets-out") {
            args.extend(["--secrets-out".to_string(), format!("{out}.secrets")]);
        }
    }
    let mut cmd = Command::new(XTASK);
    cmd.args(&args)
        .current_dir(cwd)
        .env("CARGO_MANIFEST_DIR", concat!(env!("CARGO_MANIFEST_DIR")));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("xtask runs")
}

/// `render` with the test store and the given extra arguments.
fn render(extra: &[&str], cwd: &Path) -> Output {
    let mut args = vec!["render", "--certs", TEST_STORE];
    args.extend_from_slice(extra);
    run(&args, cwd, &[])
}

pub(crate) fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((
                    path.strip_prefix(dir).expect("inside").to_path_buf(),
                    std::fs::read(&path).expect("read"),
                ));
            }
        }
    }
    out.sort();
    out
}

pub(crate) fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn renders_are_identical_across_timezone_locale_and_working_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir(tmp.path().join("elsewhere")).expect("mkdir");
    let args = |out: &Path| {
        vec![
            "render".to_string(),
            "--certs".into(),
            TEST_STORE.into(),
            "--out".into(),
            utf8(out).into(),
        ]
    };
    let call = |out: &Path, cwd: &Path, env: &[(&str, &str)]| {
        let owned = args(out);
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        ok(&run(&refs, cwd, env));
    };
    call(&a, Path::new("/"), &[("TZ", "UTC"), ("LANG", "C"), ("LC_ALL", "C")]);
    call(
        &b,
        &tmp.path().join("elsewhere"),
        &[
            ("TZ", "Pacific/Kiritimati"),
            ("LANG", "tr_TR.UTF-8"),
            ("LC_ALL", "tr_TR.UTF-8"),
            ("RAYON_NUM_THREADS", "1"),
        ],
    );
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.len() > 5, "expected a full render, got {} files", fa.len());
    assert_eq!(fa, fb);
}

#[test]
fn check_fails_on_a_hand_edit_and_diff_is_a_patch_that_git_applies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("generated");
    ok(&render(&["--out", "generated"], tmp.path()));
    ok(&render(&["--check", "--out", "generated"], tmp.path()));

    let edited = out.join("dgraph/statefulset-demo-dgraph-alpha.yaml");
    let text = std::fs::read_to_string(&edited)
        .expect("read")
        .replace("replicas: 3", "replicas: 4");
    std::fs::write(&edited, text).expect("hand edit");

    let check = render(&["--check", "--out", "generated"], tmp.path());
    assert_eq!(check.status.code(), Some(1));
    let err = stderr(&check);
    assert!(
        err.contains("differs   dgraph/statefulset-demo-dgraph-alpha.yaml"),
        "{err}"
    );
    assert!(err.contains("run `cargo xtask render --certs "), "{err}");
    assert!(err.contains(" --out generated` to update it"), "{err}");

    let diff = render(&["--diff", "--out", "generated"], tmp.path());
    assert_eq!(diff.status.code(), Some(1));
    let patch = String::from_utf8_lossy(&diff.stdout).into_owned();
    assert!(
        patch.starts_with("--- a/generated/dgraph/statefulset-demo-dgraph-alpha.yaml\n+++ b/generated/dgraph/"),
        "{patch}"
    );
    assert!(patch.contains("-  replicas: 4\n+  replicas: 3\n"), "{patch}");
    assert!(!patch.contains('\x1b'), "no colour when stdout is not a terminal");
    let patch_file = tmp.path().join("fix.patch");
    std::fs::write(&patch_file, &patch).expect("write patch");
    let applied = Command::new("git")
        .args(["apply", "--unsafe-paths", "-p1", utf8(&patch_file)])
        .current_dir(tmp.path())
        .output()
        .expect("git runs");
    assert!(applied.status.success(), "git apply: {}", stderr(&applied));
    ok(&render(&["--check", "--out", "generated"], tmp.path()));
}

#[test]
fn the_summary_says_created_updated_and_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = ok(&render(&["--out", "generated"], tmp.path()));
    assert!(first.contains("  created   dgraph/namespace-dgraph.yaml"), "{first}");
    let second = ok(&render(
        &["--out", "generated", "--set", "dgraph.release=other"],
        tmp.path(),
    ));
    assert!(
        second.contains("  removed   dgraph/statefulset-demo-dgraph-alpha.yaml"),
        "{second}"
    );
    assert!(
        second.contains("  created   dgraph/statefulset-other-dgraph-alpha.yaml"),
        "{second}"
    );
    assert!(second.contains("  updated   dgraph/kustomization.yaml"), "{second}");
    assert!(!second.contains("missing") && !second.contains("differs"), "{second}");
}

#[test]
fn check_reports_a_stale_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("other.yaml"), "dgraph: {release: other}\n").expect("overlay");
    ok(&render(&["--out", "generated"], tmp.path()));
    let check = render(&["--check", "--out", "generated", "--values", "other.yaml"], tmp.path());
    assert_eq!(check.status.code(), Some(1));
    let err = stderr(&check);
    assert!(
        err.contains("stale     dgraph/statefulset-demo-dgraph-alpha.yaml"),
        "{err}"
    );
    assert!(
        err.contains("missing   dgraph/statefulset-other-dgraph-alpha.yaml"),
        "{err}"
    );
}

#[test]
fn bad_values_name_the_file_or_the_set_flag_and_the_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("bad.yaml"), "dgraph:\n  zero:\n    replicas: 2\n").expect("overlay");
    let out = render(&["--check", "--values", "bad.yaml"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: bad.yaml: `dgraph.zero.replicas`: 2 is even"),
        "{}",
        stderr(&out)
    );

    let out = render(&["--check", "--set", "dgraph.zero.replicas=4"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("error: --set dgraph.zero.replicas: `dgraph.zero.replicas`: 4 is even"),
        "{err}"
    );
    assert!(err.contains("help: "), "{err}");
}

#[test]
fn set_overrides_the_values_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("five.yaml"), "dgraph: {alpha: {replicas: 5}}\n").expect("overlay");
    let stream = ok(&render(
        &["--stdout", "--values", "five.yaml", "--set", "dgraph.alpha.replicas=7"],
        tmp.path(),
    ));
    assert!(stream.contains("name: demo-dgraph-alpha\n"), "{stream}");
    assert!(stream.contains("replicas: 7\n") && !stream.contains("replicas: 5\n"));
}

#[test]
fn stdout_streams_every_generated_object_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let stream = ok(&render(&["--stdout"], tmp.path()));
    ok(&render(&["--out", "generated"], tmp.path()));
    let docs = stream.matches("\n---\n").count() + usize::from(stream.starts_with("---\n"));
    let objects = files(&tmp.path().join("generated"))
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("kustomization.yaml"))
        .count();
    assert_eq!(docs, objects);
    assert!(!stream.contains("kind: Secret\n"), "secrets only with --with-secrets");
    let with = ok(&render(&["--stdout", "--with-secrets"], tmp.path()));
    assert!(with.contains("kind: Secret\n"));
    let mut written: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["generated", "generated.secrets"], "only the render wrote");
}

#[test]
fn version_names_the_pinned_releases() {
    let out = ok(&run(&["--version"], Path::new("/"), &[]));
    assert!(
        out.contains(meshgen::LINKERD_VERSION) && out.contains(meshgen::DGRAPH_VERSION),
        "{out}"
    );
    let usage = stderr(&run(&["render", "--no-such-flag"], Path::new("/"), &[]));
    assert!(usage.contains("Usage: cargo xtask render"), "{usage}");
}

/// A copy of this checkout's inputs in `dir`: what a second clone holds.
pub(crate) fn second_checkout(dir: &Path) {
    for sub in ["xtask", "values", "templates"] {
        let status = Command::new("cp")
            .args(["-r", &format!("{CHECKOUT}/{sub}"), utf8(dir)])
            .status()
            .expect("cp runs");
        assert!(status.success());
    }
}

#[test]
fn a_binary_built_in_one_checkout_writes_only_into_the_checkout_it_runs_in() {
    // A shared CARGO_TARGET_DIR makes cargo reuse one binary across checkouts; cargo
    // still points CARGO_MANIFEST_DIR at the checkout the command was typed in.
    let tmp = tempfile::tempdir().expect("tempdir");
    let other = tmp.path().join("other-clone");
    std::fs::create_dir(&other).expect("mkdir");
    second_checkout(&other);
    let before = files(Path::new(&format!("{CHECKOUT}/certs")));
    let other_xtask = other.join("xtask");
    let as_cargo_runs_it = [("CARGO_MANIFEST_DIR", utf8(&other_xtask))];
    let args = ["render", "--certs", TEST_STORE];
    ok(&run(&args, &other, &as_cargo_runs_it));
    assert!(
        other.join("generated/meshgen.lock").is_file(),
        "rendered into the other checkout"
    );
    ok(&run(
        &["certs", "init", "--force", "--not-before", "2026-01-01T00:00:00Z"],
        &other,
        &as_cargo_runs_it,
    ));
    assert!(
        other.join("certs/issuer.key").is_file(),
        "keys went to the other checkout"
    );
    assert_eq!(
        files(Path::new(&format!("{CHECKOUT}/certs"))),
        before,
        "this checkout's certs/ is untouched"
    );

    // Run by hand, without cargo: the checkout is found from the working directory.
    std::fs::create_dir(other.join("deep")).expect("mkdir");
    let mut cmd = Command::new(XTASK);
    let by_hand = cmd
        .args(["render", "--certs", TEST_STORE, "--check"])
        .current_dir(other.join("deep"))
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("runs");
    assert!(
        String::from_utf8_lossy(&by_hand.stdout).contains("generated/ is up to date"),
        "{by_hand:?}"
    );
}

#[test]
fn relative_paths_are_taken_from_the_working_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(tmp.path().join("work")).expect("mkdir");
    let store = tmp.path().join("store");
    let status = Command::new("cp")
        .args(["-r", TEST_STORE, utf8(&store)])
        .status()
        .expect("cp");
    assert!(status.success());
    let cwd = tmp.path().join("work");
    ok(&run(
        &["render", "--certs", "../store", "--out", "out", "--secrets-out", "keys"],
        &cwd,
        &[],
    ));
    assert!(cwd.join("out/meshgen.lock").is_file());
    assert!(cwd.join("keys/linkerd/secret-linkerd-identity-issuer.yaml").is_file());
    ok(&run(&["certs", "check", "--dir", "../store"], &cwd, &[]));
}

/// Mints a certificate store whose validity starts `days_ago` days before today.
fn mint_store(dir: &Path, days_ago: i64) {
    use meshgen::certs::time::{Duration, OffsetDateTime, Time};
    let start = (OffsetDateTime::now_utc() - Duration::days(days_ago)).replace_time(Time::MIDNIGHT);
    let stamp = format!(
        "{:04}-{:02}-{:02}T00:00:00Z",
        start.year(),
        u8::from(start.month()),
        start.day()
    );
    // `certs init` checks what it minted, so it fails for a store that has already
    // expired; the files are written all the same, which is what these tests need.
    let _ = run(
        &["certs", "init", "--dir", utf8(dir), "--not-before", &stamp],
        dir.parent().expect("parent"),
        &[],
    );
    assert!(dir.join("issuer.crt").exists(), "certs init wrote no issuer");
}

/// `render` with an explicit cert store and output directories.
fn render_with(certs: &Path, out: &Path, secrets: &Path) -> Output {
    let args = [
        "render",
        "--certs",
        utf8(certs),
        "--out",
        utf8(out),
        "--secrets-out",
        utf8(secrets),
    ];
    run(&args, certs.parent().expect("parent"), &[])
}

#[test]
fn an_expired_issuer_fails_the_render_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let certs = tmp.path().join("certs");
    // One year and a day ago: the issuer (1 year) has expired, the anchor (10 years) has not.
    mint_store(&certs, 366);
    let out = tmp.path().join("generated");
    let result = render_with(&certs, &out, &tmp.path().join("secrets"));
    assert_eq!(result.status.code(), Some(1));
    let err = stderr(&result);
    assert!(err.contains("issuer.crt") && err.contains("expired"), "{err}");
    assert!(!out.exists(), "nothing may be written after a certificate error");
}

#[test]
fn an_issuer_near_expiry_warns_but_renders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let certs = tmp.path().join("certs");
    // 335 days into a 365-day issuer: 30 days left, inside the 60-day warning window.
    mint_store(&certs, 335);
    let out = tmp.path().join("generated");
    let result = render_with(&certs, &out, &tmp.path().join("secrets"));
    ok(&result);
    let err = stderr(&result);
    assert!(err.contains("warning:") && err.contains("issuer.crt"), "{err}");
    assert!(out.join("meshgen.lock").exists());
}

fn remove_keys(dir: &Path, except: &[&str]) {
    for (file, _) in files(dir) {
        let keep = except.iter().any(|e| file.ends_with(e));
        if file.extension().is_some_and(|e| e == "key") && !keep {
            std::fs::remove_file(dir.join(&file)).expect("remove key");
        }
    }
}

#[test]
fn without_private_keys_the_secrets_are_skipped_and_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let certs = tmp.path().join("certs");
    mint_store(&certs, 0);
    remove_keys(&certs, &["linkerd-proxy-injector.key"]);
    let (out, secrets) = (tmp.path().join("generated"), tmp.path().join("secrets"));
    let stdout = ok(&render_with(&certs, &out, &secrets));
    assert!(stdout.contains("secrets skipped"), "{stdout}");
    assert!(stdout.contains("linkerd/linkerd-identity-issuer (needs "), "{stdout}");
    assert!(stdout.contains("certs/issuer.key)"), "{stdout}");
    assert!(
        !stdout.contains("linkerd-proxy-injector-k8s-tls (needs"),
        "its key is here: {stdout}"
    );
    assert!(secrets
        .join("linkerd/secret-linkerd-proxy-injector-k8s-tls.yaml")
        .is_file());

    // An external issuer needs no issuer key, so its absence is not worth a line.
    let ext = ok(&run(
        &[
            "render",
            "--certs",
            utf8(&certs),
            "--out",
            utf8(&out),
            "--secrets-out",
            utf8(&secrets),
            "--set",
            "linkerd.identity.issuer.scheme=kubernetes.io/tls",
        ],
        tmp.path(),
        &[],
    ));
    assert!(!ext.contains("linkerd-identity-issuer"), "{ext}");
}

#[test]
fn certs_import_is_followed_by_render_with_no_step_between() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let made = tmp.path().join("made-elsewhere");
    mint_store(&made, 0);
    let store = tmp.path().join("certs");
    let import = run(
        &[
            "certs",
            "import",
            "--dir",
            utf8(&store),
            "--trust-anchors",
            utf8(&made.join("ca.crt")),
            "--issuer-cert",
            utf8(&made.join("issuer.crt")),
            "--issuer-key",
            utf8(&made.join("issuer.key")),
        ],
        tmp.path(),
        &[],
    );
    let said = ok(&import);
    assert!(
        said.contains("minted webhook certificates for linkerd-proxy-injector"),
        "{said}"
    );
    ok(&run(&["certs", "check", "--dir", utf8(&store)], tmp.path(), &[]));
    ok(&render_with(
        &store,
        &tmp.path().join("generated"),
        &tmp.path().join("secrets"),
    ));
}
