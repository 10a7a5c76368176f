//! `GET /v1/groups` and `GET /v1/groups/{id}`: the group tree flattened
//! depth-first from the root; ids are the lowercase hex MD5 of the path.
//!
//! ```text
//! {"type":"groups","id":"d41d8cd98f00b204e9800998ecf8427e","attributes":{"path":"","name":"","checks":null},
//!  "relationships":{"groups":{"data":[{"type":"groups","id":"c34b..."}]},"parent":{"data":null}}}
//! ```

use serde::{Deserialize, Serialize};

use crate::envelope::Envelope;

/// `GET /v1/groups`.
pub type GroupsEnvelope = Envelope<Vec<GroupResource>>;
/// `GET /v1/groups/{id}`.
pub type GroupEnvelope = Envelope<GroupResource>;

/// One group as a resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupResource {
    /// Always `groups`.
    #[serde(rename = "type")]
    pub kind: String,
    /// MD5 of the path.
    pub id: String,
    /// The group.
    pub attributes: Group,
    /// Its children and parent.
    pub relationships: Relationships,
}

/// A group's attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// `""` for the root, `::outer::inner` below it.
    pub path: String,
    /// The last path element (`""` for the root).
    pub name: String,
    /// `null` (not `[]`) when the group has no checks; first-seen order.
    pub checks: Option<Vec<Check>>,
}

/// A check of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// MD5 of the path.
    pub id: String,
    /// The group's path + `::` + the name.
    pub path: String,
    /// The check's name.
    pub name: String,
    /// Successful evaluations.
    pub passes: u64,
    /// Failed evaluations.
    pub fails: u64,
}

/// `{"groups":{"data":[...]},"parent":{"data":...}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationships {
    /// The children, first-seen order (`[]` when none).
    pub groups: Envelope<Vec<GroupRef>>,
    /// The parent (`null` for the root).
    pub parent: Envelope<Option<GroupRef>>,
}

impl Default for Envelope<Vec<GroupRef>> {
    fn default() -> Self {
        Envelope::new(Vec::new())
    }
}

impl Default for Envelope<Option<GroupRef>> {
    fn default() -> Self {
        Envelope::new(None)
    }
}

/// A reference to a group: `{"type":"groups","id":...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    /// Always `groups`.
    #[serde(rename = "type")]
    pub kind: String,
    /// MD5 of the path.
    pub id: String,
}

impl GroupRef {
    /// A reference to the group with id `id`.
    pub fn new(id: impl Into<String>) -> GroupRef {
        GroupRef {
            kind: "groups".to_string(),
            id: id.into(),
        }
    }
}

impl GroupResource {
    /// A group resource; `children` and `parent` are group ids.
    pub fn new(
        id: impl Into<String>,
        group: Group,
        children: Vec<String>,
        parent: Option<String>,
    ) -> Self {
        GroupResource {
            kind: "groups".to_string(),
            id: id.into(),
            attributes: group,
            relationships: Relationships {
                groups: Envelope::new(children.into_iter().map(GroupRef::new).collect()),
                parent: Envelope::new(parent.map(GroupRef::new)),
            },
        }
    }
}
