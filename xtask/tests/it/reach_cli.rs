//! `cargo xtask reach`: its exit codes (0 allowed, 1 denied, 2 error), and that it
//! gives the same answer over a render in memory and over the committed tree.

use std::process::{Command, Output};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

fn reach(args: &[&str]) -> Output {
    Command::new(XTASK)
        .arg("reach")
        .args(args)
        .output()
        .expect("xtask runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn allowed_denied_and_errors_have_their_own_exit_codes() {
    let allowed = reach(&["--from", "pydgraph-client/pydgraph-client", "--to", "dgraph/alpha:9080"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed));
    assert!(text(&allowed).starts_with("allowed by Linkerd: AuthorizationPolicy dgraph/demo-dgraph-alpha-grpc"));

    let denied = reach(&[
        "--from",
        "pydgraph-client/pydgraph-client,unmeshed",
        "--to",
        "dgraph/alpha:9080",
    ]);
    assert_eq!(denied.status.code(), Some(1), "{}", text(&denied));
    assert!(
        text(&denied).starts_with("denied by NetworkPolicy:"),
        "{}",
        text(&denied)
    );

    let bad = reach(&["--from", "nowhere", "--to", "dgraph/alpha:9080"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("help:"), "{}", text(&bad));
}

#[test]
fn the_committed_tree_gives_the_same_answer_as_a_render() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../generated");
    let args = ["--from", "kubelet", "--to", "dgraph/zero:6080"];
    let rendered = reach(&args);
    let mut with_dir = args.to_vec();
    with_dir.extend(["--dir", dir]);
    let committed = reach(&with_dir);
    assert_eq!(committed.status.code(), Some(0), "{}", text(&committed));
    assert_eq!(text(&rendered), text(&committed));
}

#[test]
fn values_overlays_change_the_answer() {
    let article = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/configs/traffic-article.yaml");
    let o = reach(&[
        "--values",
        article,
        "--from",
        "pydgraph-client/pydgraph-client",
        "--to",
        "dgraph/alpha:9080",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("NetworkPolicy dgraph/dgraph-allow-linkerd"),
        "{}",
        text(&o)
    );
}
