//! Values files that are not readable YAML, one file each in
//! tests/inputs/values-syntax/: a syntax error, a key set twice, an alias bomb.
//! Every message must name the file, say what to do (`help:`), and keep the YAML
//! parser's internals out; the full message is snapshotted.

use meshgen::{Error, Values, ValuesSource};

#[test]
fn unreadable_values_files_are_named_with_help() {
    insta::glob!("..", "inputs/values-syntax/*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = format!(
            "overlays/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("x.yaml")
        );
        let err =
            Values::with_overlays(&[ValuesSource::new(name.clone(), text)]).expect_err("these values must be rejected");
        let message = err.to_string();
        eprintln!("=====\n{message}");
        assert!(
            matches!(&err, Error::ValuesSyntax { file, .. } if file == &name),
            "the error must blame {name}: {message}"
        );
        assert!(message.starts_with(&format!("{name}: ")), "{message}");
        assert!(message.contains("\n  help: "), "{message}");
        for internal in ["<input>", "DuplicateKeyPolicy", "Options", "budget breached", "Nodes {"] {
            assert!(!message.contains(internal), "leaks `{internal}`: {message}");
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("values_syntax", message));
    });
}

#[test]
fn set_assignments_that_are_not_yaml_name_the_flag() {
    for bad in ["dgraph.zero.replicas=[unclosed", "dgraph={a: 1, a: 2}"] {
        let err = meshgen::Renderer::new()
            .set(bad)
            .map(|_| ())
            .expect_err(bad)
            .to_string();
        assert!(err.starts_with("--set "), "{err}");
        assert!(err.contains("\n  help: "), "{err}");
        assert!(!err.contains("<input>") && !err.contains("DuplicateKeyPolicy"), "{err}");
    }
}
