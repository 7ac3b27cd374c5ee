//! Deserialisation that names where it failed, paying for the path only then.

use serde::de::DeserializeOwned;
use serde_json::Value as Json;

/// `value` as a `T`, or the error with the path where it occurred. Plain deserialisation
/// comes first: serde_path_to_error tracks the path at every node, which costs as much
/// again as the deserialisation, and only an error needs it.
pub(crate) fn deserialize<T: DeserializeOwned>(
    value: &Json,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    T::deserialize(value).or_else(|_| serde_path_to_error::deserialize(value))
}
