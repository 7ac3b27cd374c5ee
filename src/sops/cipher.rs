//! One value in SOPS's encrypted form, `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, as
//! sops's `aes/cipher.go` (v3.13.2) writes and reads it. sops uses a 32-byte nonce, not
//! GCM's usual 12, and passes the value's path of keys (`a:b:c:`) as additional data, so
//! a ciphertext moved to another key no longer decrypts. The `type` tells sops how to turn
//! the decrypted bytes back into a YAML scalar.

use aes_gcm::aead::consts::U32;
use aes_gcm::aes::Aes256;
use aes_gcm::{AeadInOut, AesGcm, KeyInit, Nonce, Tag};
use base64ct::{Base64, Encoding};

/// The length of a file's data key, and of sops's nonces.
pub(crate) const KEY_LEN: usize = 32;

type Gcm = AesGcm<Aes256, U32>;

/// A file's data key: every value and the MAC are encrypted with it.
pub(crate) type DataKey = [u8; KEY_LEN];

/// Fresh random bytes from the operating system, for a data key or a nonce.
pub(crate) fn random() -> Result<[u8; KEY_LEN], String> {
    let mut bytes = [0u8; KEY_LEN];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness from the operating system: {e}"))?;
    Ok(bytes)
}

/// Encrypts `plaintext` (the bytes sops would encrypt for a value of type `kind`: `str`,
/// `int`, `float` or `bool`) under `aad`, with a fresh random nonce.
pub(crate) fn encrypt(key: &DataKey, plaintext: &[u8], kind: &str, aad: &str) -> Result<String, String> {
    let iv = random()?;
    let mut data = plaintext.to_vec();
    let tag = Gcm::new(key.into())
        .encrypt_inout_detached(&Nonce::<U32>::from(iv), aad.as_bytes(), data.as_mut_slice().into())
        .map_err(|_| "AES-GCM refused the value (too long)".to_string())?;
    Ok(format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{kind}]",
        Base64::encode_string(&data),
        Base64::encode_string(&iv),
        Base64::encode_string(&tag),
    ))
}

/// A decrypted value: its bytes and the `type` it was sealed with.
pub(crate) struct Plain {
    pub(crate) bytes: Vec<u8>,
    pub(crate) kind: String,
}

/// Decrypts one `ENC[...]` value that was encrypted under `aad`. Fails if the text is
/// not in sops's form or if the key, the path or the ciphertext do not match.
pub(crate) fn decrypt(key: &DataKey, text: &str, aad: &str) -> Result<Plain, String> {
    let (data, iv, tag, kind) = parse(text).ok_or("is not an ENC[AES256_GCM,...] value")?;
    let decode = |what: &str, b64: &str| Base64::decode_vec(b64).map_err(|e| format!("its {what} is not base64: {e}"));
    let mut bytes = decode("data", data)?;
    let iv = decode("iv", iv)?;
    let tag = decode("tag", tag)?;
    let nonce = <&Nonce<U32>>::try_from(iv.as_slice())
        .map_err(|_| format!("its iv has {} bytes; sops writes {KEY_LEN}", iv.len()))?;
    let tag = <&Tag>::try_from(tag.as_slice()).map_err(|_| format!("its tag has {} bytes, not 16", tag.len()))?;
    Gcm::new(key.into())
        .decrypt_inout_detached(nonce, aad.as_bytes(), bytes.as_mut_slice().into(), tag)
        .map_err(|_| "does not decrypt: the data key, the value or its place in the file was changed".to_string())?;
    Ok(Plain {
        bytes,
        kind: kind.to_string(),
    })
}

/// Splits `ENC[AES256_GCM,data:D,iv:I,tag:T,type:K]` into (D, I, T, K). Base64 has no
/// commas, so the separators cannot occur inside the fields.
fn parse(text: &str) -> Option<(&str, &str, &str, &str)> {
    let body = text.strip_prefix("ENC[AES256_GCM,data:")?.strip_suffix(']')?;
    let (data, rest) = body.split_once(",iv:")?;
    let (iv, rest) = rest.split_once(",tag:")?;
    let (tag, kind) = rest.split_once(",type:")?;
    Some((data, iv, tag, kind))
}
