//! One module per resource; handlers only read the request, ask the
//! [`Control`](crate::Control) and shape the answer.

pub mod groups;
pub mod metrics;
pub mod setup;
pub mod status;
