//! `response.ocsp`: the OCSP response a server stapled to its TLS
//! handshake, read as k6 reads it (the first single response; its
//! signature is not checked).

use der::Decode;
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::{BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspResponse};

/// Go's zero `time.Time` as Unix seconds: what k6 shows for a time the
/// response does not give (`next_update`, `revoked_at`).
const GO_ZERO_TIME: i64 = -62_135_596_800;

/// k6's `ocsp` object; the default is a plain-HTTP response's (all
/// empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ocsp {
    /// `produced_at`, Unix seconds.
    pub produced_at: i64,
    /// `this_update`, Unix seconds.
    pub this_update: i64,
    /// `next_update`, Unix seconds.
    pub next_update: i64,
    /// `revoked_at`, Unix seconds.
    pub revoked_at: i64,
    /// `revocation_reason` (`unspecified`, `key_compromise`, ...; "" without a response).
    pub revocation_reason: &'static str,
    /// `status`: `good`, `revoked`, `server_failed` or `unknown`.
    pub status: &'static str,
}

impl Ocsp {
    /// The facts of a TLS connection's stapled response (`der` empty:
    /// none was stapled, status `unknown`).
    pub fn parse(der: &[u8]) -> Ocsp {
        parse(der).unwrap_or(Ocsp {
            status: "unknown",
            ..Ocsp::default()
        })
    }
}

fn parse(der: &[u8]) -> Option<Ocsp> {
    if der.is_empty() {
        return None;
    }
    let response = OcspResponse::from_der(der).ok()?;
    let bytes = response.response_bytes?;
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).ok()?;
    let data = &basic.tbs_response_data;
    let single = data.responses.first()?;
    let (status, revoked_at, reason) = match &single.cert_status {
        CertStatus::Good(_) => ("good", GO_ZERO_TIME, CrlReason::Unspecified),
        CertStatus::Revoked(info) => (
            "revoked",
            unix(&info.revocation_time),
            info.revocation_reason.unwrap_or(CrlReason::Unspecified),
        ),
        CertStatus::Unknown(_) => ("unknown", GO_ZERO_TIME, CrlReason::Unspecified),
    };
    Some(Ocsp {
        produced_at: unix(&data.produced_at),
        this_update: unix(&single.this_update),
        next_update: single.next_update.as_ref().map_or(GO_ZERO_TIME, unix),
        revoked_at,
        revocation_reason: reason_name(reason),
        status,
    })
}

fn unix(time: &OcspGeneralizedTime) -> i64 {
    time.0.to_unix_duration().as_secs() as i64
}

fn reason_name(reason: CrlReason) -> &'static str {
    match reason {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "key_compromise",
        CrlReason::CaCompromise => "ca_compromise",
        CrlReason::AffiliationChanged => "affiliation_changed",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessation_of_operation",
        CrlReason::CertificateHold => "certificate_hold",
        CrlReason::RemoveFromCRL => "remove_from_crl",
        CrlReason::PrivilegeWithdrawn => "privilege_withdrawn",
        CrlReason::AaCompromise => "aa_compromise",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_stapled_is_unknown_with_zeros() {
        let ocsp = Ocsp::parse(&[]);
        assert_eq!(ocsp.status, "unknown");
        assert_eq!((ocsp.produced_at, ocsp.revocation_reason), (0, ""));
        assert_eq!(Ocsp::parse(b"not der"), ocsp);
        assert_eq!(Ocsp::default().status, "");
    }
}
