//! The coordinator's run commands, as the runner receives them.

use k6r_proto::{
    convert::ConvertError,
    v1::{self, coordinator_message::Kind},
};

/// A command about a run. Session messages (Welcome, Refused) never reach
/// the runner.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Prepare a run: the archive, options and this agent's segment.
    Assign(Box<v1::Assign>),
    /// Start at a common instant.
    Start(v1::Start),
    /// Scale, pause, resume or stop.
    Control(v1::Control),
    /// Run `setup()` here.
    RunSetup(v1::RunSetup),
    /// Run `teardown()` here.
    RunTeardown(v1::RunTeardown),
    /// End the run at once.
    Abort(v1::Abort),
}

impl Command {
    /// The run the command is about.
    pub fn run_id(&self) -> &str {
        match self {
            Self::Assign(m) => &m.run_id,
            Self::Start(m) => &m.run_id,
            Self::Control(m) => &m.run_id,
            Self::RunSetup(m) => &m.run_id,
            Self::RunTeardown(m) => &m.run_id,
            Self::Abort(m) => &m.run_id,
        }
    }

    /// The message's name, for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Assign(_) => "Assign",
            Self::Start(_) => "Start",
            Self::Control(_) => "Control",
            Self::RunSetup(_) => "RunSetup",
            Self::RunTeardown(_) => "RunTeardown",
            Self::Abort(_) => "Abort",
        }
    }
}

impl TryFrom<Kind> for Command {
    type Error = ConvertError;

    fn try_from(kind: Kind) -> Result<Self, ConvertError> {
        Ok(match kind {
            Kind::Assign(m) => Self::Assign(Box::new(m)),
            Kind::Start(m) => Self::Start(m),
            Kind::Control(m) => Self::Control(m),
            Kind::RunSetup(m) => Self::RunSetup(m),
            Kind::RunTeardown(m) => Self::RunTeardown(m),
            Kind::Abort(m) => Self::Abort(m),
            Kind::Welcome(_) | Kind::Refused(_) => {
                return Err(ConvertError::Invalid {
                    field: "kind",
                    reason: "Welcome and Refused belong to the session, not to a run",
                })
            }
        })
    }
}
