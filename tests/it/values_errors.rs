//! Bad values, one file each in tests/inputs/values-errors/. Each file's first line
//! names the dotted path the error must point at; the full message is snapshotted.

use meshgen::{Error, Values, ValuesSource};

#[test]
fn bad_values_name_the_file_and_the_key() {
    insta::glob!("..", "inputs/values-errors/*.yaml", |path| {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect-path: "))
            .unwrap_or_else(|| panic!("{}: first line must be `# expect-path: ...`", path.display()));
        let name = format!(
            "overlays/{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("x.yaml")
        );
        let err = Values::with_overlays(&[ValuesSource {
            name: name.clone(),
            text: text.clone(),
        }])
        .expect_err("these values must be rejected");
        match &err {
            Error::Values { file, path: at, .. } => {
                assert_eq!(file, &name, "the error must blame the overlay");
                assert_eq!(at, expected);
            }
            other => panic!("expected a values error, got: {other}"),
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!("values_error", err.to_string()));
    });
}

#[test]
fn syntax_errors_name_the_file() {
    let err = Values::with_overlays(&[ValuesSource {
        name: "broken.yaml".into(),
        text: "dgraph: [unclosed".into(),
    }])
    .expect_err("not YAML");
    assert!(
        matches!(&err, Error::ValuesSyntax { file, .. } if file == "broken.yaml"),
        "{err}"
    );
}

#[test]
fn a_problem_in_the_base_file_blames_the_base() {
    let base = ValuesSource {
        name: "values/default.yaml".into(),
        text: meshgen::DEFAULT_VALUES.replace("replicas: 3\n", "replicas: 2\n"),
    };
    let overlay = ValuesSource {
        name: "mine.yaml".into(),
        text: "dgraph: {release: other}".into(),
    };
    match meshgen::Values::from_sources(&[base, overlay]) {
        Err(Error::Values { file, path, .. }) => {
            assert_eq!(file, "values/default.yaml");
            assert_eq!(path, "dgraph.zero.replicas");
        }
        other => panic!("expected a values error, got {other:?}"),
    }
}

#[test]
fn overlays_merge_maps_and_replace_lists() {
    let a = ValuesSource {
        name: "a.yaml".into(),
        text: "dgraph:\n  whitelist: [10.0.0.0/8, 10.1.0.0/16]\n  zero: {replicas: 5}".into(),
    };
    let b = ValuesSource {
        name: "b.yaml".into(),
        text: "dgraph:\n  whitelist: [192.168.0.0/16]\n  zero: {storage: {size: 1Gi}}".into(),
    };
    let v = Values::with_overlays(&[a, b]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.dgraph.whitelist, ["192.168.0.0/16"]);
    assert_eq!(v.dgraph.zero.replicas, 5, "a later overlay must not reset sibling keys");
    assert_eq!(v.dgraph.zero.storage.size, "1Gi");
    assert_eq!(v.dgraph.alpha.replicas, 3, "defaults survive");
}
