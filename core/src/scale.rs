//! k6's rules for a `vus`/`vus-max` change of the externally-controlled
//! executor (its `Validate` and `UpdateConfig`), with k6's messages, plus
//! k6r's guard: no more max VUs than the machine holds beside the other
//! scenarios' ([`crate::capacity`]). Written once for every place that
//! scales: the REST API of a local run and the agent running the scenario
//! of a cluster run (the coordinator forwards the change as given).

use crate::capacity::ControlledMax;

/// Why a change is refused: k6's `Config update error` text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScaleError(pub String);

/// Active and max VUs of the externally-controlled scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vus {
    /// Active VUs.
    pub vus: u64,
    /// Initialised VUs.
    pub max_vus: u64,
}

/// The configuration after applying `vus`/`vus_max` (`None`: unchanged)
/// to `current`, or k6's refusal. `start_max` is the script's `maxVUs`;
/// `most` the most max VUs the machine holds for this scenario. k6 has no
/// such cap and starts initialising whatever it is asked for (a `vus-max`
/// of 10^12 wedges it); k6r refuses with a `Config update error`.
pub fn update(
    current: Vus,
    start_max: u64,
    most: ControlledMax,
    vus: Option<i64>,
    vus_max: Option<i64>,
) -> Result<Vus, ScaleError> {
    let new_vus = vus.unwrap_or(current.vus as i64);
    let new_max = vus_max.unwrap_or(current.max_vus as i64);
    let mut errors = Vec::new();
    if new_vus < 0 {
        errors.push("the number of VUs can't be negative".to_string());
    }
    if new_max < new_vus {
        errors.push(format!(
            "the number of active VUs ({new_vus}) must be less than or equal to the number of maxVUs ({new_max})"
        ));
    }
    if !errors.is_empty() {
        return Err(ScaleError(format!(
            "invalid configuration supplied: {}",
            errors.join(", ")
        )));
    }
    if new_max < start_max as i64 {
        return Err(ScaleError(format!(
            "the new number of max VUs cannot be lower than the starting number of max VUs ({start_max})"
        )));
    }
    most.check(new_max as u64).map_err(ScaleError)?;
    // Both are in 0..=most here.
    Ok(Vus {
        vus: new_vus as u64,
        max_vus: new_max as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Vus = Vus { vus: 1, max_vus: 5 };
    const MOST: ControlledMax = ControlledMax(1_000);

    fn refused(vus: Option<i64>, max: Option<i64>) -> String {
        match update(NOW, 5, MOST, vus, max) {
            Err(ScaleError(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn k6_rows() {
        assert_eq!(
            update(NOW, 5, MOST, Some(4), None),
            Ok(Vus { vus: 4, max_vus: 5 })
        );
        assert_eq!(refused(Some(6), None), "invalid configuration supplied: the number of active VUs (6) must be less than or equal to the number of maxVUs (5)");
        assert_eq!(
            update(NOW, 5, MOST, Some(6), Some(8)),
            Ok(Vus { vus: 6, max_vus: 8 })
        );
        assert_eq!(
            refused(Some(1), Some(4)),
            "the new number of max VUs cannot be lower than the starting number of max VUs (5)"
        );
        assert_eq!(
            refused(Some(-1), None),
            "invalid configuration supplied: the number of VUs can't be negative"
        );
        assert_eq!(refused(Some(-3), Some(-4)), "invalid configuration supplied: the number of VUs can't be negative, the number of active VUs (-3) must be less than or equal to the number of maxVUs (-4)");
        assert_eq!(
            refused(None, Some(i64::MAX)),
            format!(
                "invalid configuration supplied: the number of maxVUs ({}) must be at most 1000, what this machine holds beside the other scenarios (--max-vus)",
                i64::MAX
            )
        );
        let raised = Vus { vus: 1, max_vus: 6 };
        assert_eq!(
            update(raised, 5, MOST, None, Some(5)),
            Ok(Vus { vus: 1, max_vus: 5 })
        );
    }
}
