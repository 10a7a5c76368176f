//! The control commands of a running test: `status`, `stats`, `pause`,
//! `resume`, `scale` (k6's, same YAML output and errors, spec §5.1) and
//! `stop` (k6r's own: `PATCH {"stopped":true}`). They talk to the REST API
//! of `k6r-cli run` (or of k6 itself) at `-a/--address`.
//!
//! With `--scenario NAME`, `pause`, `resume` and `scale` change that one
//! scenario through k6r's `PATCH /v1/scenarios/{name}` instead (any
//! executor; `scale --rate N | --vus N | --factor F`), and print the
//! scenario after the change.
//!
//! Every failure is one `level=error` line and exit code 255, nothing on
//! stdout.

mod client;
mod yaml;

use std::io::Write;

use clap::Args;
use k6r_api::scenarios::ScenarioPatch;
use k6r_api::Status;
use k6r_core::exit::ExitCode;

use crate::failure::Failure;
use client::Client;

/// Exit code of a failed control command.
pub const EXIT: ExitCode = ExitCode::Failure;

/// `-a/--address` of the control commands.
#[derive(Debug, Args)]
pub struct AddressArgs {
    /// Address of the API server (`host:port`; `http://` is prepended).
    #[arg(
        short = 'a',
        long = "address",
        default_value = "localhost:6565",
        env = "K6R_ADDRESS"
    )]
    pub address: String,
    /// A token sent as `Authorization: Bearer <token>` (a coordinator may
    /// require one; k6's own API ignores it).
    #[arg(long, env = "K6R_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Flags of `pause` and `resume`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// The API server.
    #[command(flatten)]
    pub address: AddressArgs,
    /// Only this scenario (k6r's `/v1/scenarios`; any executor).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
}

/// Flags of `scale`.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// The API server.
    #[command(flatten)]
    pub address: AddressArgs,
    /// Number of VUs to run.
    #[arg(short = 'u', long = "vus", allow_negative_numbers = true)]
    pub vus: Option<i64>,
    /// Max available virtual VUs.
    #[arg(
        short = 'm',
        long = "max",
        allow_negative_numbers = true,
        conflicts_with = "scenario"
    )]
    pub max: Option<i64>,
    /// Change this scenario (k6r's `/v1/scenarios`) instead of the
    /// externally-controlled one.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// With `--scenario`: the new rate (constant-arrival-rate).
    #[arg(long, requires = "scenario", allow_negative_numbers = true)]
    pub rate: Option<i64>,
    /// With `--scenario` and `--rate`: the rate's time unit (`1s`, `1m`).
    #[arg(long, requires = "rate")]
    pub time_unit: Option<String>,
    /// With `--scenario`: multiply the rate or the remaining stage targets.
    #[arg(long, requires = "scenario")]
    pub factor: Option<f64>,
}

/// Which control command.
#[derive(Debug)]
pub enum Action<'a> {
    /// `GET /v1/status`.
    Status(&'a AddressArgs),
    /// `GET /v1/metrics`.
    Stats(&'a AddressArgs),
    /// `PATCH paused:true`.
    Pause(&'a PauseArgs),
    /// `PATCH paused:false`.
    Resume(&'a PauseArgs),
    /// `PATCH vus/vus-max`.
    Scale(&'a ScaleArgs),
    /// `PATCH stopped:true`.
    Stop(&'a AddressArgs),
}

/// Runs one control command, printing its YAML to `out`.
pub fn run(action: Action<'_>, out: &mut dyn Write) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT, e.to_string()))?;
    let text = runtime.block_on(request(action))?;
    out.write_all(text.as_bytes())
        .map_err(|e| Failure::new(EXIT, e.to_string()))
}

async fn request(action: Action<'_>) -> Result<String, Failure> {
    let patch = |address: &AddressArgs, status: Status| {
        let client = Client::new(address);
        async move { client.patch_status(status).await }
    };
    let status = match action {
        Action::Status(a) => Client::new(a).status().await?,
        Action::Stats(a) => {
            let metrics = Client::new(a).metrics().await?;
            return Ok(yaml::metrics(&metrics));
        }
        Action::Pause(PauseArgs {
            address,
            scenario: Some(name),
        })
        | Action::Resume(PauseArgs {
            address,
            scenario: Some(name),
        }) => {
            let paused = matches!(action, Action::Pause(_));
            let change = ScenarioPatch {
                paused: Some(paused),
                ..ScenarioPatch::default()
            };
            let scenario = Client::new(address).patch_scenario(name, change).await?;
            return Ok(yaml::scenario(&scenario));
        }
        Action::Pause(a) => patch(&a.address, with(|s| s.paused = Some(true))).await?,
        Action::Resume(a) => patch(&a.address, with(|s| s.paused = Some(false))).await?,
        Action::Scale(ScaleArgs {
            address,
            vus,
            scenario: Some(name),
            rate,
            time_unit,
            factor,
            ..
        }) => {
            if vus.is_none() && rate.is_none() && factor.is_none() {
                return Err(Failure::new(
                    EXIT,
                    "Specify one of --rate, -u/--vus or --factor",
                ));
            }
            let change = ScenarioPatch {
                rate: *rate,
                time_unit: time_unit.clone(),
                factor: *factor,
                vus: *vus,
                ..ScenarioPatch::default()
            };
            let scenario = Client::new(address).patch_scenario(name, change).await?;
            return Ok(yaml::scenario(&scenario));
        }
        Action::Scale(s) => {
            if s.vus.is_none() && s.max.is_none() {
                return Err(Failure::new(EXIT, "Specify either -u/--vus or -m/--max"));
            }
            let (vus, max) = (s.vus, s.max);
            patch(
                &s.address,
                with(|st| {
                    st.vus = vus;
                    st.vus_max = max;
                }),
            )
            .await?
        }
        Action::Stop(a) => patch(a, with(|s| s.stopped = true)).await?,
    };
    Ok(yaml::status(&status))
}

/// The body k6 sends: a full status whose untouched fields are `null`.
fn with(change: impl FnOnce(&mut Status)) -> Status {
    let mut status = Status::default();
    change(&mut status);
    status
}
