//! `/v1/setup`: the setup data as raw JSON (k6 echoes it compacted, with
//! its key order and number spelling kept).
//!
//! ```text
//! {"data":{"type":"setupData","id":"default","attributes":{"data":{"hello":"world"}}}}
//! {"data":{"type":"setupData","id":"default","attributes":{}}}          (no data)
//! ```

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::envelope::{Envelope, Resource};

/// The setup data resource.
pub type SetupEnvelope = Envelope<Resource<SetupAttributes>>;

/// `{"data": <json>}`, or `{}` when there is no setup data. A JSON `null`
/// returned by `setup()` is data (`{"data":null}`), not its absence.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SetupAttributes {
    /// The setup data, verbatim.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub data: Option<Box<RawValue>>,
}

impl PartialEq for SetupAttributes {
    fn eq(&self, other: &SetupAttributes) -> bool {
        self.data.as_ref().map(|d| d.get()) == other.data.as_ref().map(|d| d.get())
    }
}

impl SetupAttributes {
    /// Wraps the setup data in its envelope (`type` `setupData`, `id`
    /// `default`).
    pub fn into_envelope(self) -> SetupEnvelope {
        Envelope::new(Resource::new("setupData", "default", self))
    }
}

/// A present field is `Some`, even when it is `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}
