//! gRPC status codes: the `grpc.Status*` constants (k6's values, gRPC's
//! codes) and the name of each code.

/// Every `grpc.Status*` export with its code.
pub(super) const CONSTANTS: &[(&str, i32)] = &[
    ("StatusOK", 0),
    ("StatusCanceled", 1),
    ("StatusUnknown", 2),
    ("StatusInvalidArgument", 3),
    ("StatusDeadlineExceeded", 4),
    ("StatusNotFound", 5),
    ("StatusAlreadyExists", 6),
    ("StatusPermissionDenied", 7),
    ("StatusResourceExhausted", 8),
    ("StatusFailedPrecondition", 9),
    ("StatusAborted", 10),
    ("StatusOutOfRange", 11),
    ("StatusUnimplemented", 12),
    ("StatusInternal", 13),
    ("StatusUnavailable", 14),
    ("StatusDataLoss", 15),
    ("StatusUnauthenticated", 16),
];

/// Go's name of `code` (`codes.Code.String()`), what k6 writes in the
/// `status` tag... of nothing: k6 tags with the number; this names
/// codes in error messages.
pub(super) fn name(code: i32) -> String {
    const NAMES: &[&str] = &[
        "OK",
        "Canceled",
        "Unknown",
        "InvalidArgument",
        "DeadlineExceeded",
        "NotFound",
        "AlreadyExists",
        "PermissionDenied",
        "ResourceExhausted",
        "FailedPrecondition",
        "Aborted",
        "OutOfRange",
        "Unimplemented",
        "Internal",
        "Unavailable",
        "DataLoss",
        "Unauthenticated",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map(|name| (*name).to_owned())
        .unwrap_or_else(|| format!("Code({code})"))
}
