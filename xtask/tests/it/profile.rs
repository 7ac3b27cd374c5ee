//! `cargo xtask profile` as a user runs it: stdout or `--out`, and errors that
//! name the file, line and column.

use std::path::Path;
use std::process::Command;

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

fn fixture(name: &str) -> String {
    format!("{}/../tests/inputs/proto/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn prints_the_profile_or_writes_it_to_a_file() {
    let args = [
        "profile",
        "--proto",
        &fixture("streaming.proto"),
        "--service",
        "chat",
        "--namespace",
        "demo",
    ];
    let printed = Command::new(XTASK)
        .args(args)
        .current_dir("/")
        .output()
        .expect("xtask runs");
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let stdout = String::from_utf8(printed.stdout).expect("utf-8");
    // The cluster domain defaults to the values' clusterDomain.
    assert!(stdout.contains("  name: chat.demo.svc.cluster.local\n"), "{stdout}");

    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("sp.yaml");
    let written = Command::new(XTASK)
        .args(args)
        .args(["--cluster-domain", "example.org", "--out", out.to_str().expect("utf-8")])
        .output()
        .expect("xtask runs");
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    assert!(written.stdout.is_empty());
    let file = std::fs::read_to_string(&out).expect("profile written");
    assert_eq!(file, stdout.replace("svc.cluster.local", "svc.example.org"));
}

#[test]
fn a_malformed_file_fails_with_its_place() {
    let path = fixture("malformed-missing-semicolon.proto");
    let output = Command::new(XTASK)
        .args(["profile", "--proto", &path, "--service", "s", "--namespace", "demo"])
        .current_dir(Path::new("/"))
        .output()
        .expect("xtask runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with(&format!("error: {path}:10:3: ")), "{stderr}");
}
