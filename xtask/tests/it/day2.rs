//! Day-2 fixes through the command line: the README's fleet commands run as pasted,
//! `certs check --within`, the restart note after each identity rotation, and the
//! pointers to fleets that `reach` and a single-cluster `render` give. Every command
//! runs in a sandbox checkout (see [`sandbox`]), never in this one.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use super::cli::{ok, run, second_checkout, stderr, utf8, CHECKOUT, TEST_STORE};

/// `cp -r from to`.
fn copy(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .args(["-r", utf8(from), utf8(to)])
        .status()
        .expect("cp runs");
    assert!(status.success(), "cp -r {} {}", from.display(), to.display());
}

/// A checkout of its own (xtask/, values/, templates/ and `extra` copied from this
/// one, no fleet.yaml) holding a copy of the test store as store/.
fn sandbox(extra: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    second_checkout(tmp.path());
    for sub in extra {
        copy(&Path::new(CHECKOUT).join(sub), tmp.path());
    }
    copy(Path::new(TEST_STORE), &tmp.path().join("store"));
    tmp
}

/// xtask as `cargo xtask` runs it from the top of the checkout `dir`.
fn xtask(dir: &Path, args: &[&str]) -> Output {
    let manifest_dir = dir.join("xtask");
    run(args, dir, &[("CARGO_MANIFEST_DIR", utf8(&manifest_dir))])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

// ---- the README's fleet commands ----

/// The commands of the ```sh blocks in the README section under `heading`: continued
/// lines joined, comments dropped, blank lines skipped.
fn sh_commands(readme: &str, heading: &str) -> Vec<String> {
    let readme = format!("\n{readme}");
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README.md has no {heading:?} section"));
    let section = &readme[start + heading.len() + 2..];
    let section = section.split("\n## ").next().unwrap_or_default();
    let (mut commands, mut pending, mut in_sh) = (Vec::new(), String::new(), false);
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            assert!(
                pending.is_empty(),
                "a ```sh block ends inside a continued line: {pending}"
            );
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = without_comment(line).trim_end();
        match code.strip_suffix('\\') {
            Some(head) => pending.extend([head, " "]),
            None => {
                pending.push_str(code);
                let command = pending.split_whitespace().collect::<Vec<_>>().join(" ");
                if !command.is_empty() {
                    commands.push(command);
                }
                pending.clear();
            }
        }
    }
    commands
}

/// `line` up to a `#` that starts a word outside quotes, as the shell reads it.
fn without_comment(line: &str) -> &str {
    let (mut quote, mut prev) = (None, ' ');
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

/// What each `reach` the README shows answers, by its --from and --to: 0 allowed,
/// 1 denied (xtask/src/reach.rs; 2 is an error).
const README_REACH: &[(&str, &str, i32)] = &[
    ("west:pydgraph-client/pydgraph-client", "east:dgraph/alpha:9080", 0),
    (
        "east:pydgraph-client/app=pydgraph-client,sa=pydgraph-client,ip=10.20.1.5",
        "west:dgraph/alpha:9080",
        0,
    ),
];

fn flag<'a>(args: &[&'a str], name: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| *a == name)?;
    args.get(i + 1).copied()
}

/// The exit status `cargo xtask ARGS` from the README must have.
fn expected_status(args: &[&str]) -> i32 {
    if args.first() != Some(&"reach") {
        return 0;
    }
    let (from, to) = (flag(args, "--from"), flag(args, "--to"));
    README_REACH
        .iter()
        .find(|(f, t, _)| Some(*f) == from && Some(*t) == to)
        .map(|(_, _, status)| *status)
        .unwrap_or_else(|| panic!("the README asks `reach {args:?}`: add its answer to README_REACH"))
}

/// A shell line that is not `cargo xtask`: `mkdir`'s directories are made, and each
/// `kubectl … > FILE` leaves FILE as the live cluster would have (a token, or a PEM CA).
fn stand_in_for(command: &str, dir: &Path) {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words[0] {
        "mkdir" => {
            for d in words[1..].iter().filter(|w| !w.starts_with('-')) {
                std::fs::create_dir_all(dir.join(d)).expect("mkdir");
            }
        }
        "kubectl" => {
            let Some(file) = words.iter().position(|w| *w == ">").map(|i| dir.join(words[i + 1])) else {
                return; // `kubectl apply` and such: nothing to leave behind
            };
            if file.extension().is_some_and(|e| e == "crt") {
                std::fs::copy(Path::new(TEST_STORE).join("ca.crt"), &file).expect("copy a PEM CA");
            } else {
                std::fs::write(&file, "a-service-account-token\n").expect("write a token");
            }
        }
        other => panic!("the README's fleet section runs `{other}`, which this test does not know: {command}"),
    }
}

#[test]
fn the_readme_fleet_commands_work_as_pasted() {
    let readme = std::fs::read_to_string(Path::new(CHECKOUT).join("README.md")).expect("README.md");
    let commands = sh_commands(&readme, "## Fleets");
    let sandbox = sandbox(&["examples"]);
    let dir = sandbox.path();
    let mut ran = BTreeSet::new();
    for command in &commands {
        let Some(rest) = command.strip_prefix("cargo xtask ") else {
            stand_in_for(command, dir);
            continue;
        };
        assert!(!rest.contains(['\'', '"', '$', '|', '>']), "unquote `{command}` first");
        let args: Vec<&str> = rest.split_whitespace().collect();
        let out = xtask(dir, &args);
        let (want, got) = (expected_status(&args), out.status.code());
        let said = format!("`{command}`:\n{}{}", stdout(&out), stderr(&out));
        assert_ne!(got, Some(2), "an error, {said}");
        assert_eq!(got, Some(want), "{said}");
        if args[0] == "reach" {
            let verdict = if want == 0 { "allowed" } else { "denied" };
            assert!(stdout(&out).starts_with(verdict), "{said}");
        }
        ran.insert(args[..2].join(" "));
    }
    // Each kind of command the section shows ran: a broken extraction fails here.
    for shown in ["certs init", "render --fleet", "reach --fleet", "fleet credentials"] {
        assert!(ran.contains(shown), "no `cargo xtask {shown}` ran; ran {ran:?}");
    }
    for cluster in ["east", "west", "dev"] {
        let tree = dir.join("generated/clusters").join(cluster);
        assert!(
            tree.join("kustomization.yaml").is_file(),
            "{} is no tree",
            tree.display()
        );
    }
    let credentials = dir.join("secrets/clusters/east/credentials");
    let written = std::fs::read_dir(&credentials).map_or(0, Iterator::count);
    assert!(
        written > 0,
        "fleet credentials wrote nothing into {}",
        credentials.display()
    );
}

#[test]
fn readme_lines_are_read_as_the_shell_reads_them() {
    let readme = "## Fleets\n\n```sh\na --x 'q#r' # comment\nb \\\n  --c d   # more\n```\n\n```yaml\nc: d\n```\n\n## Next\n```sh\nnot this\n```\n";
    assert_eq!(sh_commands(readme, "## Fleets"), ["a --x 'q#r'", "b --c d"]);
}

// ---- certs check --within ----

#[test]
fn certs_check_within_fails_naming_each_certificate_that_expires_in_the_window() {
    let sandbox = sandbox(&[]);
    let dir = sandbox.path();
    // The test store is valid until 2126-01-01: 36600 days from now is past it.
    for (window, status) in [("30d", 0), ("72h", 0), ("90m", 0), ("36600d", 1)] {
        let out = xtask(dir, &["certs", "check", "--dir", "store", "--within", window]);
        let said = format!("--within {window}:\n{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(status), "{said}");
        if status == 0 {
            assert!(stdout(&out).contains("store/: certificates OK"), "{said}");
            continue;
        }
        let err = stderr(&out);
        let anchor = format!("error: expires within {window}: store/ca.crt: ");
        assert!(err.lines().any(|l| l.starts_with(&anchor)), "{said}");
        assert!(err.contains("store/webhooks/tap-ca.crt"), "{said}");
        assert!(!stdout(&out).contains("certificates OK"), "{said}");
    }
}

#[test]
fn certs_check_within_refuses_a_window_it_cannot_read() {
    let sandbox = sandbox(&[]);
    let dir = sandbox.path();
    for (window, says) in [
        ("30x", "`30x` has no unit; write 30d, 72h or 90m"),
        ("30", "`30` has no unit; write 30d, 72h or 90m"),
        ("d", "`d` is not a window"),
        ("-5d", "`-5d` is not a window"),
        ("99999999999999999999d", "is not a window"),
        // Past the calendar's end (year 9999), or past i64 seconds: refused, no panic.
        ("3660000d", "`3660000d` is too long a window"),
        ("999999999999999d", "is too long a window"),
    ] {
        // `=`, so that clap takes `-5d` as the value rather than a flag.
        let within = format!("--within={window}");
        let out = xtask(dir, &["certs", "check", "--dir", "store", &within]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "--within {window}: {err}");
        assert!(err.contains(says), "--within {window}: {err}");
    }
}

// ---- the note after a rotation ----

#[test]
fn each_identity_rotation_prints_the_restart_note_and_webhook_renewal_does_not() {
    let sandbox = sandbox(&[]);
    let dir = sandbox.path();
    // In order, on one store: each step as a user runs it.
    for (step, rotates_identity) in [
        (&["rotate-issuer"][..], true),
        (&["renew-webhooks"], false),
        (&["rotate-anchor", "start"], true),
        (&["rotate-anchor", "issuer"], true),
        (&["rotate-anchor", "finish"], true),
    ] {
        let mut args = vec!["certs"];
        args.extend_from_slice(step);
        args.extend(["--dir", "store"]);
        let said = ok(&xtask(dir, &args));
        let restart = said.lines().find(|l| {
            l.trim_start()
                .starts_with("kubectl get pods --all-namespaces -l linkerd.io/control-plane-ns ")
        });
        if !rotates_identity {
            assert!(!said.contains("meshgen.io/identity-sha256"), "{step:?}: {said}");
            assert_eq!(restart, None, "{step:?}: {said}");
            continue;
        }
        assert!(said.contains("carries meshgen.io/identity-sha256"), "{step:?}: {said}");
        let restart = restart.unwrap_or_else(|| panic!("{step:?}: no restart command in {said}"));
        // custom-columns reads a dot as a path step: the annotation's must be escaped.
        assert!(
            restart.contains(r"annotations.meshgen\.io/identity-sha256"),
            "{restart}"
        );
        assert!(
            restart.ends_with("rollout restart deployment,statefulset,daemonset"),
            "{restart}"
        );
    }
}

// ---- pointers to fleets ----

#[test]
fn reach_with_cluster_names_and_no_fleet_is_an_error_that_points_at_fleet() {
    let sandbox = sandbox(&[]);
    let dir = sandbox.path();
    assert!(!dir.join("fleet.yaml").exists());
    for (from, to, flag) in [
        (
            "west:pydgraph-client/pydgraph-client",
            "east:dgraph/alpha:9080",
            "--from",
        ),
        ("pydgraph-client/pydgraph-client", "east:dgraph/alpha:9080", "--to"),
    ] {
        let out = xtask(dir, &["reach", "--from", from, "--to", to]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{from} -> {to}: {err}");
        assert!(err.starts_with(&format!("error: {flag} ")), "{err}");
        assert!(err.contains("only a fleet has clusters"), "{err}");
        assert!(err.contains("pass --fleet FILE"), "{err}");
    }
}

#[test]
fn a_single_cluster_render_over_a_fleet_store_says_so() {
    let sandbox = sandbox(&[]);
    let dir = sandbox.path();
    let render = || xtask(dir, &["render", "--certs", "store", "--stdout"]);
    let plain = render();
    ok(&plain);
    assert!(!stderr(&plain).contains("note:"), "{}", stderr(&plain));

    let clusters = dir.join("store/clusters");
    std::fs::create_dir(&clusters).expect("mkdir");
    copy(Path::new(TEST_STORE), &clusters.join("east"));
    let out = render();
    assert!(ok(&out).contains("kind: Namespace"), "the single cluster rendered");
    let err = stderr(&out);
    let note = err
        .lines()
        .find(|l| l.starts_with("note: "))
        .unwrap_or_else(|| panic!("no note: {err}"));
    assert!(note.contains("store/clusters/ holds a fleet's certificates"), "{note}");
    assert!(note.contains("--fleet"), "{note}");
}

// ---- the README's GitOps section ----

/// The first ```yaml block of the README section under `heading`.
fn first_yaml_block(readme: &str, heading: &str) -> String {
    let start = readme.find(&format!("\n{heading}\n")).expect("the section");
    let block = readme[start..].split("```yaml\n").nth(1).expect("a ```yaml block");
    block.split("```").next().unwrap_or_default().to_string()
}

/// Each command of the GitOps section runs as pasted: the renders through the xtask,
/// the rest against what they would find. `age-keygen` leaves an identity file; `flux
/// bootstrap` installs Flux and leaves nothing here; `kubectl create secret
/// --from-file` needs its file; `kubectl apply` needs what it applies, in the Flux
/// render (the README's overlay) or, for the Argo CD commands, in a render with
/// `engine: argocd`.
#[test]
fn the_readme_gitops_commands_work_as_pasted() {
    let readme = std::fs::read_to_string(Path::new(CHECKOUT).join("README.md")).expect("README.md");
    let heading = "## GitOps";
    let commands = sh_commands(&readme, heading);
    let sandbox = sandbox(&[]);
    let dir = sandbox.path();
    copy(Path::new(TEST_STORE), &dir.join("certs"));
    let overlay = first_yaml_block(&readme, heading);
    assert!(
        overlay.contains("engine: flux"),
        "the overlay shows Flux first:\n{overlay}"
    );
    std::fs::write(dir.join("prod.yaml"), &overlay).expect("prod.yaml");
    let mut applied = Vec::new();
    let mut rendered = false;
    for command in &commands {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words[..] {
            ["cargo", "xtask", ref args @ ..] => {
                let out = xtask(dir, args);
                ok(&out);
                assert!(!stderr(&out).contains("not sealed"), "`{command}`: {}", stderr(&out));
                rendered = true;
            }
            ["age-keygen", "-o", file] => {
                std::fs::copy(
                    Path::new(CHECKOUT).join("tests/fixtures/age/test-only-identity-1.txt"),
                    dir.join(file),
                )
                .expect("an identity");
            }
            ["flux", "bootstrap", ..] => {}
            ["kubectl", "-n", _, "create", "secret", "generic", _, from] => {
                let file = from.rsplit('=').next().unwrap_or_default();
                assert!(
                    dir.join(file).is_file(),
                    "`{command}` needs {file}, which no command before it made"
                );
            }
            ["kubectl", "apply", flag @ ("-k" | "-f"), path] => applied.push((flag, path)),
            _ => panic!("the README's GitOps section runs a command this test does not know: {command}"),
        }
    }
    assert!(rendered, "the section renders");
    let sealed = dir.join("generated/linkerd/sealed/secret-linkerd-identity-issuer.yaml");
    assert!(sealed.is_file(), "the README's overlay seals the issuer's Secret");
    let in_flux: Vec<_> = applied.iter().filter(|(_, p)| dir.join(p).exists()).collect();
    std::fs::write(dir.join("prod.yaml"), overlay.replace("engine: flux", "engine: argocd")).expect("argocd");
    ok(&xtask(dir, &["render", "--values", "prod.yaml"]));
    for (flag, path) in &applied {
        let target = dir.join(path);
        let found = match *flag {
            "-k" => target.join("kustomization.yaml").is_file(),
            _ => target.is_file(),
        };
        assert!(
            found || in_flux.contains(&&(*flag, *path)),
            "`kubectl apply {flag} {path}` applies what neither render wrote"
        );
    }
    assert_eq!(applied.len(), 2, "Flux's wiring and Argo CD's parent: {applied:?}");
}
