//! The command line as a user runs it: determinism across environments, and the
//! `--check` / `--diff` freshness workflow.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

fn run(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(XTASK);
    cmd.args(args).current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("xtask runs")
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
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

#[test]
fn renders_are_identical_across_timezone_locale_and_working_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    std::fs::create_dir(tmp.path().join("elsewhere")).expect("mkdir");
    let out_a = a.to_str().expect("utf-8");
    let out_b = b.to_str().expect("utf-8");
    ok(&run(
        &["render", "--out", out_a],
        Path::new("/"),
        &[("TZ", "UTC"), ("LANG", "C"), ("LC_ALL", "C")],
    ));
    ok(&run(
        &["render", "--out", out_b],
        &tmp.path().join("elsewhere"),
        &[
            ("TZ", "Pacific/Kiritimati"),
            ("LANG", "tr_TR.UTF-8"),
            ("LC_ALL", "tr_TR.UTF-8"),
            ("RAYON_NUM_THREADS", "1"),
        ],
    ));
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.len() > 5, "expected a full render, got {} files", fa.len());
    assert_eq!(fa, fb);
}

#[test]
fn check_fails_on_a_hand_edit_and_passes_after_render() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("generated");
    let out_s = out.to_str().expect("utf-8");
    ok(&run(&["render", "--out", out_s], tmp.path(), &[]));
    ok(&run(&["render", "--check", "--out", out_s], tmp.path(), &[]));

    let edited = out.join("dgraph/statefulset-demo-dgraph-alpha.yaml");
    let text = std::fs::read_to_string(&edited)
        .expect("read")
        .replace("replicas: 3", "replicas: 4");
    std::fs::write(&edited, text).expect("hand edit");

    let check = run(&["render", "--check", "--out", out_s], tmp.path(), &[]);
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("dgraph/statefulset-demo-dgraph-alpha.yaml"), "{stderr}");
    assert!(
        stderr.contains(&format!("run `cargo xtask render --out {out_s}`")),
        "{stderr}"
    );

    let diff = run(&["render", "--diff", "--out", out_s], tmp.path(), &[]);
    assert_eq!(diff.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&diff.stdout);
    assert!(stdout.contains("-  replicas: 4\n+  replicas: 3\n"), "{stdout}");

    ok(&run(&["render", "--out", out_s], tmp.path(), &[]));
    ok(&run(&["render", "--check", "--out", out_s], tmp.path(), &[]));
}

#[test]
fn check_reports_a_stale_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("generated");
    let out_s = out.to_str().expect("utf-8");
    let overlay = tmp.path().join("nomesh.yaml");
    std::fs::write(&overlay, "dgraph: {release: other}\n").expect("overlay");
    ok(&run(&["render", "--out", out_s], tmp.path(), &[]));
    let check = run(
        &[
            "render",
            "--check",
            "--out",
            out_s,
            "--values",
            overlay.to_str().expect("utf-8"),
        ],
        tmp.path(),
        &[],
    );
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.contains("stale     dgraph/statefulset-demo-dgraph-alpha.yaml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("missing   dgraph/statefulset-other-dgraph-alpha.yaml"),
        "{stderr}"
    );
}

#[test]
fn bad_values_fail_with_the_file_and_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let overlay = tmp.path().join("bad.yaml");
    std::fs::write(&overlay, "dgraph:\n  zero:\n    replicas: 2\n").expect("overlay");
    let out = run(
        &["render", "--check", "--values", overlay.to_str().expect("utf-8")],
        tmp.path(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml: `dgraph.zero.replicas`: 2 is even"),
        "{stderr}"
    );
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
    let d = dir.to_str().expect("utf-8");
    // `certs init` checks what it minted, so it fails for a store that has already
    // expired; the files are written all the same, which is what these tests need.
    let _ = run(
        &["certs", "init", "--dir", d, "--not-before", &stamp],
        dir.parent().expect("parent"),
        &[],
    );
    assert!(dir.join("issuer.crt").exists(), "certs init wrote no issuer");
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
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("issuer.crt") && stderr.contains("expired"), "{stderr}");
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
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("warning:") && stderr.contains("issuer.crt"), "{stderr}");
    assert!(out.join("meshgen.lock").exists());
}

#[test]
fn without_private_keys_the_secrets_are_skipped_with_a_hint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let certs = tmp.path().join("certs");
    mint_store(&certs, 0);
    for entry in walk(&certs) {
        if entry.extension().is_some_and(|e| e == "key") {
            std::fs::remove_file(&entry).expect("remove key");
        }
    }
    let out = tmp.path().join("generated");
    let secrets = tmp.path().join("secrets");
    let result = render_with(&certs, &out, &secrets);
    ok(&result);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(
        stdout.contains("secrets skipped") && stdout.contains("cargo xtask certs init"),
        "{stdout}"
    );
    assert!(!secrets.exists(), "no keys, so no Secrets");
}

/// `render` with an explicit cert store and output directories.
fn render_with(certs: &Path, out: &Path, secrets: &Path) -> Output {
    let arg = |p: &Path| p.to_str().expect("utf-8").to_string();
    let args = [
        "render".to_string(),
        "--certs".into(),
        arg(certs),
        "--out".into(),
        arg(out),
        "--secrets-out".into(),
        arg(secrets),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, certs.parent().expect("parent"), &[])
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    files(dir).into_iter().map(|(p, _)| dir.join(p)).collect()
}
