//! The bodies of k6's REST control API that k6r decodes itself, with Go's
//! rules and messages: `PATCH /v1/status` (and k6's checks of the VUs it
//! asks for) and `PUT /v1/setup`.

use k6r_core::capacity::ControlledMax;
use k6r_core::scale::{self, Vus};
use k6r_rest::{patch, setup_body};

/// Decodes the input as both bodies; a status patch is then checked
/// against a running externally-controlled scenario.
pub fn run(data: &[u8]) {
    let body = crate::capped(data);
    if let Ok(p) = patch::decode(body) {
        let current = Vus { vus: 2, max_vus: 5 };
        // A machine that holds 1000 VUs for the scenario.
        let _ = scale::update(current, 5, ControlledMax(1000), p.vus, p.vus_max);
    }
    if let Ok(Some(raw)) = setup_body::decode(body) {
        // What `GET /v1/setup` sends back.
        let _ = serde_json::to_string(&raw);
    }
}
