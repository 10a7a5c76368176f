//! Incoming wire messages → the registry's domain types. `TryFrom` is the
//! validation boundary: what passes it is well-formed.

use k6r_proto::{convert::ConvertError, v1};

use crate::registry::{Capacity, Hello, Version};

/// The longest agent name accepted.
pub const MAX_NAME_LEN: usize = 253;

impl TryFrom<v1::Hello> for Hello {
    type Error = ConvertError;

    fn try_from(hello: v1::Hello) -> Result<Self, ConvertError> {
        let name = hello.name.trim();
        if name.is_empty() {
            return Err(ConvertError::Missing { field: "name" });
        }
        if name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
            return Err(ConvertError::Invalid {
                field: "name",
                reason: "must be at most 253 bytes without control characters",
            });
        }
        let version = Version::parse(&hello.version).ok_or(ConvertError::Invalid {
            field: "version",
            reason: "must look like MAJOR.MINOR.PATCH",
        })?;
        let capacity = hello.capacity.map(Capacity::from).unwrap_or_default();
        Ok(Self {
            name: name.to_owned(),
            version,
            capacity,
            resumed_run_id: Some(hello.resumed_run_id).filter(|id| !id.is_empty()),
        })
    }
}

impl From<v1::Capacity> for Capacity {
    fn from(capacity: v1::Capacity) -> Self {
        Self {
            cpus: capacity.cpus,
            memory_bytes: capacity.memory_bytes,
            max_vus: Some(capacity.max_vus).filter(|&n| n > 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(name: &str, version: &str) -> v1::Hello {
        v1::Hello {
            name: name.into(),
            version: version.into(),
            capacity: Some(v1::Capacity {
                cpus: 8,
                memory_bytes: 16 << 30,
                max_vus: 0,
            }),
            resumed_run_id: String::new(),
        }
    }

    #[test]
    fn a_good_hello_converts() {
        let hello = Hello::try_from(wire(" w1 ", "0.1.0")).unwrap();
        assert_eq!(hello.name, "w1");
        assert_eq!(hello.version.major, 0);
        assert_eq!(hello.capacity.cpus, 8);
        assert_eq!(hello.capacity.max_vus, None);
        assert_eq!(hello.resumed_run_id, None);
    }

    #[test]
    fn bad_hellos_are_refused() {
        assert_eq!(
            Hello::try_from(wire("", "0.1.0")),
            Err(ConvertError::Missing { field: "name" })
        );
        assert!(Hello::try_from(wire("a\nb", "0.1.0")).is_err());
        assert!(Hello::try_from(wire("w1", "latest")).is_err());
        assert!(Hello::try_from(wire("w1", "1")).is_err());
    }
}
