//! The `{"data": ...}` wrapper every success body uses, and the JSON:API
//! style resource object inside it.

use serde::{Deserialize, Serialize};

/// `{"data": T}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// The payload: one resource or a list of them.
    pub data: T,
}

impl<T> Envelope<T> {
    /// Wraps `data`.
    pub fn new(data: T) -> Envelope<T> {
        Envelope { data }
    }
}

/// `{"type": ..., "id": ..., "attributes": A}` (fields in k6's order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource<A> {
    /// The resource type (`status`, `metrics`, `setupData`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource id (`default` for the singletons).
    pub id: String,
    /// The resource itself.
    pub attributes: A,
}

impl<A> Resource<A> {
    /// A resource of type `kind` with id `id`.
    pub fn new(kind: &str, id: impl Into<String>, attributes: A) -> Resource<A> {
        Resource {
            kind: kind.to_string(),
            id: id.into(),
            attributes,
        }
    }
}
