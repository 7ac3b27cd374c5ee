//! Sealing and opening, against the committed test-only identities
//! (tests/fixtures/age/); `.ci/run` checks a sealed file with the age CLI and Python.

use serde_json::{json, Value};
use sha2::{Digest, Sha512};

use super::{cipher, keys, open, recipients, seal};

const IDENTITY_1: &str = include_str!("../../tests/fixtures/age/test-only-identity-1.txt");
const IDENTITY_2: &str = include_str!("../../tests/fixtures/age/test-only-identity-2.txt");
const LASTMODIFIED: &str = "2026-12-07T10:57:10Z";

/// The recipient of an identity file, as `age-keygen -y` prints it; also checks the
/// `# recipient:` comment the file carries for people.
fn recipient(identity: &str) -> String {
    let public = keys::identities(identity).expect("identity")[0].to_public().to_string();
    assert!(identity.contains(&format!("# recipient: {public}\n")), "{identity}");
    public
}

fn secret() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "linkerd-identity-issuer",
            "namespace": "linkerd",
            "labels": {"app.kubernetes.io/part-of": "demo"},
            "annotations": {"meshgen.io/identity": "sha256:0f1e2d"},
        },
        "immutable": true,
        "type": "kubernetes.io/tls",
        "data": {
            "tls.crt": "Q0VSVElGSUNBVEUgb2YgdGhlIGlzc3Vlcg==",
            "tls.key": "UFJJVkFURSBLRVkgb2YgdGhlIGlzc3Vlcg==",
            "empty": "",
        },
        "stringData": {
            "ca.crt": "-----BEGIN CERTIFICATE-----\nTUlJQnRydXN0YW5jaG9y\n-----END CERTIFICATE-----\n",
            "note": "ünïcode, \"quotes\" # and no comment",
        },
    })
}

fn sealed_to_one() -> String {
    seal(&secret(), &[recipient(IDENTITY_1)], LASTMODIFIED).expect("seal")
}

fn mac_error(text: &str) -> String {
    open(text, IDENTITY_1).expect_err("must not open").to_string()
}

/// Re-emits a sealed file after `edit` changed its parsed form, as an editor would.
fn edited(text: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut doc = crate::yaml::parse(text).expect("YAML");
    edit(&mut doc);
    crate::yaml::to_canonical(&doc)
}

#[test]
fn a_secret_round_trips_with_data_and_string_data() {
    let text = sealed_to_one();
    assert_eq!(open(&text, IDENTITY_1).expect("open"), secret());
}

#[test]
fn with_two_recipients_each_identity_opens_it_and_no_other() {
    let text = seal(&secret(), &[recipient(IDENTITY_1), recipient(IDENTITY_2)], LASTMODIFIED).expect("seal");
    assert_eq!(open(&text, IDENTITY_1).expect("first"), secret());
    assert_eq!(open(&text, IDENTITY_2).expect("second"), secret());
    #[allow(deprecated)] // X25519, on purpose: see keys.rs.
    let stranger = age::x25519::Identity::generate().to_string();
    let err = open(&text, age::secrecy::ExposeSecret::expose_secret(&stranger)).expect_err("a stranger");
    assert!(err.to_string().contains("none of the file's age recipients"), "{err}");
}

#[test]
fn the_file_is_laid_out_as_sops_writes_it() {
    let text = sealed_to_one();
    let doc = crate::yaml::parse(&text).expect("YAML");
    let keys: Vec<&String> = doc.as_object().expect("map").keys().collect();
    assert_eq!(
        keys,
        [
            "apiVersion",
            "kind",
            "metadata",
            "immutable",
            "type",
            "data",
            "stringData",
            "sops"
        ]
    );
    // Outside data and stringData, everything reads as it was.
    for readable in ["apiVersion", "kind", "metadata", "immutable", "type"] {
        assert_eq!(doc[readable], secret()[readable], "{readable}");
    }
    let meta = doc["sops"].as_object().expect("sops");
    let meta_keys: Vec<&String> = meta.keys().collect();
    assert_eq!(meta_keys, ["age", "encrypted_regex", "lastmodified", "mac", "version"]);
    assert_eq!(meta["encrypted_regex"], "^(data|stringData)$");
    assert_eq!(meta["lastmodified"], LASTMODIFIED);
    let age = meta["age"].as_array().expect("age");
    assert_eq!(age.len(), 1);
    assert_eq!(age[0]["recipient"], recipient(IDENTITY_1));
    let enc = age[0]["enc"].as_str().expect("enc");
    assert!(enc.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"), "{enc}");
    assert!(enc.ends_with("-----END AGE ENCRYPTED FILE-----\n"), "{enc}");
    // Each value: base64 fields, a 32-byte nonce, a 16-byte tag, the type.
    let form = regex::Regex::new(
        r"^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]+),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:str\]$",
    )
    .expect("regex");
    let mut values: Vec<&str> = vec![meta["mac"].as_str().expect("mac")];
    for field in ["data", "stringData"] {
        for (key, value) in doc[field].as_object().expect(field) {
            if key != "empty" {
                values.push(value.as_str().expect("string"));
            }
        }
    }
    assert_eq!(doc["data"]["empty"], "", "sops leaves an empty string as it is");
    for value in values {
        let fields = form
            .captures(value)
            .unwrap_or_else(|| panic!("not sops's form: {value}"));
        let decode =
            |i: usize| <base64ct::Base64 as base64ct::Encoding>::decode_vec(&fields[i]).map(|v: Vec<u8>| v.len());
        assert_eq!(decode(2), Ok(32), "iv of {value}");
        assert_eq!(decode(3), Ok(16), "tag of {value}");
    }
    assert!(!text.contains('#'), "no comments:\n{text}");
}

#[test]
fn no_plaintext_of_the_encrypted_values_is_left_in_the_file() {
    let text = sealed_to_one();
    let plain = secret();
    for field in ["data", "stringData"] {
        for (key, value) in plain[field].as_object().expect(field) {
            let value = value.as_str().expect("string");
            assert!(text.contains(key.as_str()), "the key {key} stays readable");
            for piece in value.lines().filter(|l| l.len() > 3) {
                assert!(!text.contains(piece), "{piece} is in the sealed file:\n{text}");
            }
        }
    }
    assert!(
        text.contains("\n    meshgen.io/identity: sha256:0f1e2d\n"),
        "readable: {text}"
    );
}

/// The MAC is sops's: SHA-512 over every value, encrypted or not, in file order, as
/// upper-case hex, encrypted under `lastmodified`; each value under its path of keys.
#[test]
fn the_mac_and_the_additional_data_are_as_sops_computes_them() {
    let text = sealed_to_one();
    let doc = crate::yaml::parse(&text).expect("YAML");
    let ids = keys::identities(IDENTITY_1).expect("identity");
    let key = keys::unwrap(doc["sops"]["age"][0]["enc"].as_str().expect("enc"), &ids)
        .expect("unwraps")
        .expect("32 bytes");
    let stored = cipher::decrypt(&key, doc["sops"]["mac"].as_str().expect("mac"), LASTMODIFIED).expect("mac");
    let plain = secret();
    let m = &plain["metadata"];
    let all: Vec<&str> = [
        "v1",
        "Secret",
        m["name"].as_str().expect("name"),
        "linkerd",
        "demo",
        "sha256:0f1e2d",
        "True",
        "kubernetes.io/tls",
        plain["data"]["tls.crt"].as_str().expect("crt"),
        plain["data"]["tls.key"].as_str().expect("key"),
        "",
        plain["stringData"]["ca.crt"].as_str().expect("ca"),
        plain["stringData"]["note"].as_str().expect("note"),
    ]
    .to_vec();
    let expected = base16ct::upper::encode_string(&Sha512::digest(all.concat().as_bytes()));
    assert_eq!(String::from_utf8(stored.bytes).expect("utf-8"), expected);
    assert_eq!(stored.kind, "str");
    let tls_key = doc["data"]["tls.key"].as_str().expect("tls.key");
    let opened = cipher::decrypt(&key, tls_key, "data:tls.key:").expect("under its path");
    assert_eq!(opened.bytes, plain["data"]["tls.key"].as_str().expect("key").as_bytes());
    assert!(
        cipher::decrypt(&key, tls_key, "data:tls.crt:").is_err(),
        "under another path"
    );
}

#[test]
fn an_edit_of_a_readable_field_fails_on_the_mac() {
    let text = sealed_to_one();
    let annotation = edited(&text, |d| {
        d["metadata"]["annotations"]["meshgen.io/identity"] = json!("sha256:ffffff")
    });
    assert!(mac_error(&annotation).contains("MAC mismatch"));
    let immutable = text.replace("immutable: true\n", "immutable: false\n");
    assert_ne!(immutable, text);
    assert!(mac_error(&immutable).contains("MAC mismatch"));
}

#[test]
fn an_edit_of_the_encrypted_values_fails() {
    let text = sealed_to_one();
    // Values that still decrypt, but are no longer those sealed: emptied, removed, reordered.
    let emptied = edited(&text, |d| d["stringData"]["note"] = json!(""));
    assert!(mac_error(&emptied).contains("MAC mismatch"));
    let removed = edited(&text, |d| {
        d["data"].as_object_mut().expect("data").shift_remove("tls.crt");
    });
    assert!(mac_error(&removed).contains("MAC mismatch"));
    let reordered = edited(&text, |d| {
        let data = d["data"].as_object_mut().expect("data");
        let crt = data.shift_remove("tls.crt").expect("crt");
        data.insert("tls.crt".into(), crt);
    });
    assert!(mac_error(&reordered).contains("MAC mismatch"));
    // A ciphertext moved to another key does not decrypt there (its path is its additional data).
    let moved = edited(&text, |d| d["data"]["tls.crt"] = d["data"]["tls.key"].clone());
    let err = mac_error(&moved);
    assert!(err.contains("`data.tls.crt` does not decrypt"), "{err}");
    // A changed lastmodified no longer decrypts the MAC.
    let retimed = text.replace(LASTMODIFIED, "2026-12-07T10:57:11Z");
    assert!(mac_error(&retimed).contains("`sops.mac` does not decrypt"));
}

#[test]
fn the_recipients_are_read_back_from_the_metadata() {
    let both = [recipient(IDENTITY_1), recipient(IDENTITY_2)];
    let text = seal(&secret(), &both, LASTMODIFIED).expect("seal");
    assert_eq!(recipients(&text), Some(both.to_vec()));
    assert_eq!(recipients(&sealed_to_one()), Some(vec![recipient(IDENTITY_1)]));
    assert_eq!(recipients(&crate::yaml::to_canonical(&secret())), None);
    assert_eq!(recipients("not: [yaml"), None);
}

#[test]
fn a_bad_recipient_names_the_values_key() {
    let good = recipient(IDENTITY_1);
    // One character changed: the shape is right, the Bech32 checksum is not.
    let typo = format!("{}{}", &good[..10], if &good[10..11] == "q" { "p" } else { "q" }) + &good[11..];
    for (list, at) in [
        (vec!["age1notakey".to_string()], "secrets.sops.ageRecipients[0]"),
        (vec![good.clone(), typo], "secrets.sops.ageRecipients[1]"),
        (vec![good.to_uppercase()], "secrets.sops.ageRecipients[0]"),
        (vec![], "secrets.sops.ageRecipients"),
    ] {
        let err = seal(&secret(), &list, LASTMODIFIED)
            .expect_err("bad recipient")
            .to_string();
        assert!(err.contains(&format!("`{at}`")), "{err}");
        assert!(err.contains("help: give the public key that `age-keygen -y"), "{err}");
    }
    assert!(crate::api_rules::age_recipient(&good).is_ok());
}

#[test]
fn lastmodified_must_be_as_sops_writes_it() {
    for bad in [
        "2026-12-07T10:57:10.5Z",
        "2026-12-07T11:57:10+01:00",
        "2026-12-07 10:57:10Z",
        "now",
    ] {
        let err = seal(&secret(), &[recipient(IDENTITY_1)], bad)
            .expect_err(bad)
            .to_string();
        assert!(
            err.contains("lastmodified") && err.contains("2026-12-07T10:57:10Z"),
            "{err}"
        );
    }
}

/// Other scalars than strings, nulls, lists and deeper keys, as sops treats them: a value
/// is encrypted when any key on its path matches, whatever its depth.
#[test]
fn scalars_of_every_type_round_trip() {
    let doc = json!({
        "data": {"n": -3, "f": 1.5, "b": false, "z": null, "l": ["x", 7, {"k": "v"}]},
        "metadata": {"data": "encrypted too", "other": 2.0},
    });
    let text = seal(&doc, &[recipient(IDENTITY_1)], LASTMODIFIED).expect("seal");
    assert_eq!(open(&text, IDENTITY_1).expect("open"), doc);
    let sealed = crate::yaml::parse(&text).expect("YAML");
    for (at, kind) in [
        ("/data/n", "int"),
        ("/data/f", "float"),
        ("/data/b", "bool"),
        ("/data/l/1", "int"),
    ] {
        let value = sealed.pointer(at).and_then(Value::as_str).expect(at);
        assert!(value.ends_with(&format!(",type:{kind}]")), "{at}: {value}");
    }
    assert_eq!(sealed["data"]["z"], Value::Null);
    assert!(sealed["metadata"]["data"].as_str().expect("data").starts_with("ENC["));
    assert_eq!(sealed["metadata"]["other"], json!(2.0));
    let too_large = json!({"metadata": {"n": u64::MAX}});
    let err = seal(&too_large, &[recipient(IDENTITY_1)], LASTMODIFIED).expect_err("u64");
    assert!(
        err.to_string().contains("`metadata.n` is a number too large for sops"),
        "{err}"
    );
}
