//! How many VUs one machine may hold, and the one check every path that
//! starts or grows VUs makes against it (a script's options on one
//! machine, each agent's part of a cluster run).
//!
//! A machine holds what its operator said (`--max-vus`), or by default
//! what fits in [`MEMORY_SHARE`] of its memory at [`BYTES_PER_VU`] a VU. A
//! VU measured 135-141 KB of resident memory in `bench/` (5,000 VUs, an
//! HTTP client each); the budget per VU leaves room for scripts that keep
//! more, and for the process itself. Without a known memory size the cap
//! is [`MAX_VUS`]. Asking for more is refused before any VU is made:
//! initialising VUs until the allocator fails wedges the machine.

use std::fmt;

/// The memory budget of one VU.
pub const BYTES_PER_VU: u64 = 256 * 1024;

/// The share of a machine's memory its VUs may take by default, in
/// percent.
pub const MEMORY_SHARE: u64 = 75;

/// The most VUs any machine is asked to hold, whatever its memory.
pub const MAX_VUS: u64 = 1_000_000;

/// Where a machine's limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The operator's `--max-vus`.
    Flag,
    /// A share of this much memory.
    Memory(u64),
    /// Nothing known: [`MAX_VUS`].
    Default,
}

/// The VUs one machine may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VuCapacity {
    /// The most VUs.
    pub max_vus: u64,
    /// Why.
    pub limit: Limit,
}

impl VuCapacity {
    /// `max_vus` (the operator's) wins; else [`MEMORY_SHARE`] of
    /// `memory_bytes` at [`BYTES_PER_VU`]; else [`MAX_VUS`]. Zeros mean
    /// unknown.
    pub fn new(max_vus: Option<u64>, memory_bytes: Option<u64>) -> VuCapacity {
        match (max_vus.filter(|&n| n > 0), memory_bytes.filter(|&b| b > 0)) {
            (Some(max_vus), _) => VuCapacity {
                max_vus,
                limit: Limit::Flag,
            },
            (None, Some(bytes)) => VuCapacity {
                max_vus: (u128::from(bytes) * u128::from(MEMORY_SHARE)
                    / 100
                    / u128::from(BYTES_PER_VU))
                .clamp(1, u128::from(MAX_VUS)) as u64,
                limit: Limit::Memory(bytes),
            },
            (None, None) => VuCapacity {
                max_vus: MAX_VUS,
                limit: Limit::Default,
            },
        }
    }

    /// Whether `needed` VUs fit.
    pub fn check(self, needed: u64) -> Result<(), TooManyVus> {
        if needed <= self.max_vus {
            return Ok(());
        }
        Err(TooManyVus {
            needed,
            capacity: self,
        })
    }
}

impl fmt::Display for VuCapacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            Limit::Flag => write!(f, "{} VUs (--max-vus)", self.max_vus),
            Limit::Memory(bytes) => write!(
                f,
                "{} VUs ({MEMORY_SHARE}% of {:.1} GiB of memory at {} KiB per VU; --max-vus sets another limit)",
                self.max_vus,
                bytes as f64 / f64::from(1u32 << 30),
                BYTES_PER_VU / 1024
            ),
            Limit::Default => write!(f, "{} VUs (k6r's most)", self.max_vus),
        }
    }
}

/// The most `maxVUs` the externally-controlled scenarios of a plan may
/// grow to on one machine: what it holds less what the plan's other
/// scenarios may need (they never give theirs back). Every path that
/// grows them (k6's REST API on one process, a Control through the
/// coordinator on an agent) checks against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlledMax(pub u64);

impl ControlledMax {
    /// For `plan` on a machine holding `capacity`.
    pub fn of(capacity: VuCapacity, plan: &crate::plan::TestPlan) -> Self {
        let controlled: u64 = plan
            .scenarios()
            .iter()
            .map(|s| match s.work {
                crate::plan::Work::ExternallyControlled { max_vus, .. } => max_vus,
                _ => 0,
            })
            .fold(0, u64::saturating_add);
        let others = plan.max_possible_vus().saturating_sub(controlled);
        Self(capacity.max_vus.saturating_sub(others))
    }

    /// Whether `max_vus` fits; the refusal is a `Config update error`'s
    /// detail.
    pub fn check(self, max_vus: u64) -> Result<(), String> {
        if max_vus <= self.0 {
            return Ok(());
        }
        Err(format!(
            "invalid configuration supplied: the number of maxVUs ({max_vus}) must be at most {}, what this machine holds beside the other scenarios (--max-vus)",
            self.0
        ))
    }
}

/// More VUs than a machine holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the test could need {needed} VUs, more than this machine holds: at most {capacity}")]
pub struct TooManyVus {
    /// The VUs asked for.
    pub needed: u64,
    /// What the machine holds.
    pub capacity: VuCapacity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_memory_then_the_cap() {
        assert_eq!(VuCapacity::new(Some(5), Some(1 << 30)).max_vus, 5);
        // 75 % of 1 GiB at 256 KiB a VU.
        assert_eq!(VuCapacity::new(None, Some(1 << 30)).max_vus, 3_072);
        assert_eq!(VuCapacity::new(Some(0), Some(0)).max_vus, MAX_VUS);
        assert_eq!(VuCapacity::new(None, Some(u64::MAX)).max_vus, MAX_VUS);
    }

    #[test]
    fn a_refusal_says_how_many_and_why() {
        let flag = VuCapacity::new(Some(5), None);
        assert_eq!(flag.check(5), Ok(()));
        assert_eq!(
            flag.check(10).unwrap_err().to_string(),
            "the test could need 10 VUs, more than this machine holds: at most 5 VUs (--max-vus)"
        );
        let memory = VuCapacity::new(None, Some(1 << 30));
        assert_eq!(
            memory.check(1_000_000_000_000).unwrap_err().to_string(),
            "the test could need 1000000000000 VUs, more than this machine holds: at most 3072 VUs (75% \
             of 1.0 GiB of memory at 256 KiB per VU; --max-vus sets another limit)"
        );
    }

    #[test]
    fn a_controlled_scenario_grows_into_what_the_others_leave() {
        let value = serde_json::json!({"scenarios": {
            "ext": {"executor": "externally-controlled", "vus": 2, "maxVUs": 10, "duration": "60s"},
            "cv": {"executor": "constant-vus", "vus": 4, "duration": "60s"},
        }});
        let (mut options, _) = crate::options::Options::from_json(&value).unwrap();
        options.derive_scenarios().unwrap();
        let plan = crate::plan::TestPlan::new(&options).unwrap();
        let most = ControlledMax::of(VuCapacity::new(Some(20), None), &plan);
        assert_eq!(most, ControlledMax(16));
        assert_eq!(most.check(16), Ok(()));
        assert_eq!(
            most.check(17).unwrap_err(),
            "invalid configuration supplied: the number of maxVUs (17) must be at most 16, what this machine holds beside the other scenarios (--max-vus)"
        );
        // A machine smaller than the other scenarios leaves nothing.
        let none = ControlledMax::of(VuCapacity::new(Some(3), None), &plan);
        assert_eq!(none, ControlledMax(0));
    }
}
