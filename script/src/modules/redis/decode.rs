//! The options object decoded as xk6-redis decodes it: Go's
//! `encoding/json` into its option structs, unknown fields refused,
//! names matched exactly or else case-insensitively, `null` ignored,
//! and the first error kept with Go's wording (`json: cannot unmarshal
//! string into Go struct field socketOptions.socket.port of type int`).

use std::collections::BTreeMap;

use super::export::Json;

/// A Go struct xk6-redis decodes into.
pub(super) struct Struct {
    /// The Go type name, as errors print it.
    pub name: &'static str,
    pub fields: &'static [(&'static str, Type)],
}

/// A field's Go type.
#[derive(Clone, Copy)]
pub(super) enum Type {
    String,
    Int,
    Int64,
    Bool,
    /// `[]string`.
    Strings,
    /// A pointer to a struct (`*socketOptions`).
    Struct(&'static Struct),
    /// `[]*singleNodeOptions`.
    Structs(&'static Struct),
}

impl Type {
    fn go_name(self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Int => "int".into(),
            Type::Int64 => "int64".into(),
            Type::Bool => "bool".into(),
            Type::Strings => "[]string".into(),
            Type::Struct(s) => format!("redis.{}", s.name),
            Type::Structs(s) => format!("[]*redis.{}", s.name),
        }
    }
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Decoded {
    String(String),
    Int(i64),
    Bool(bool),
    Strings(Vec<String>),
    Struct(Fields),
    Structs(Vec<Fields>),
}

/// A decoded struct: the fields that were set.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Fields(BTreeMap<&'static str, Decoded>);

impl Fields {
    pub(super) fn string(&self, name: &str) -> String {
        match self.0.get(name) {
            Some(Decoded::String(s)) => s.clone(),
            _ => String::new(),
        }
    }

    pub(super) fn int(&self, name: &str) -> i64 {
        match self.0.get(name) {
            Some(Decoded::Int(i)) => *i,
            _ => 0,
        }
    }

    pub(super) fn bool(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(Decoded::Bool(true)))
    }

    pub(super) fn strings(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Decoded::Strings(items)) => items.clone(),
            _ => Vec::new(),
        }
    }

    pub(super) fn nested(&self, name: &str) -> Option<&Fields> {
        match self.0.get(name) {
            Some(Decoded::Struct(fields)) => Some(fields),
            _ => None,
        }
    }

    pub(super) fn list(&self, name: &str) -> &[Fields] {
        match self.0.get(name) {
            Some(Decoded::Structs(items)) => items,
            _ => &[],
        }
    }
}

/// Decodes `json` (an object) into `target`; `Err` is the first error.
pub(super) fn decode(json: &Json, target: &'static Struct) -> Result<Fields, String> {
    let mut decoder = Decoder::default();
    let fields = match json {
        Json::Object(_) => decoder.object(json, target),
        Json::Null => Fields::default(),
        other => {
            // Only reachable for a top-level value of another kind.
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type redis.{}",
                other.kind(),
                target.name
            ));
        }
    };
    match decoder.error {
        Some(error) => Err(error),
        None => Ok(fields),
    }
}

/// Go's decoder state: the path to the current field and the first error.
#[derive(Default)]
struct Decoder {
    /// The struct whose field is being decoded, and the field names
    /// from the top (Go's `errorContext`).
    context: Option<&'static str>,
    path: Vec<&'static str>,
    error: Option<String>,
}

impl Decoder {
    fn save(&mut self, error: String) {
        self.error.get_or_insert(error);
    }

    fn mismatch(&mut self, value: String, ty: Type) {
        let error = format!(
            "json: cannot unmarshal {value} into Go struct field {}.{} of type {}",
            self.context.unwrap_or(""),
            self.path.join("."),
            ty.go_name()
        );
        self.save(error);
    }

    fn object(&mut self, json: &Json, target: &'static Struct) -> Fields {
        let mut fields = Fields::default();
        let Json::Object(members) = json else {
            return fields;
        };
        for (key, value) in members {
            // An exact match first, then one ignoring case.
            let found = target
                .fields
                .iter()
                .find(|(name, _)| name == key)
                .or_else(|| {
                    target
                        .fields
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(key))
                });
            let Some(&(name, ty)) = found else {
                self.save(format!("json: unknown field {key:?}"));
                continue;
            };
            let saved = (self.context, self.path.len());
            self.context = Some(target.name);
            self.path.push(name);
            if let Some(decoded) = self.value(value, ty) {
                fields.0.insert(name, decoded);
            }
            self.context = saved.0;
            self.path.truncate(saved.1);
        }
        fields
    }

    /// `value` into a field of type `ty`; `None` leaves the field as it
    /// was (`null`, or a value of the wrong kind).
    fn value(&mut self, value: &Json, ty: Type) -> Option<Decoded> {
        match (value, ty) {
            (Json::Null, _) => None,
            (Json::String(s), Type::String) => Some(Decoded::String(s.clone())),
            (Json::Bool(b), Type::Bool) => Some(Decoded::Bool(*b)),
            (Json::Number(literal), Type::Int | Type::Int64) => match literal.parse::<i64>() {
                Ok(n) => Some(Decoded::Int(n)),
                Err(_) => {
                    self.mismatch(format!("number {literal}"), ty);
                    None
                }
            },
            (Json::Array(items), Type::Strings) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Json::String(s) => out.push(s.clone()),
                        Json::Null => out.push(String::new()),
                        other => self.mismatch(other.kind().to_owned(), Type::String),
                    }
                }
                Some(Decoded::Strings(out))
            }
            (Json::Object(_), Type::Struct(target)) => {
                Some(Decoded::Struct(self.object(value, target)))
            }
            (Json::Array(items), Type::Structs(target)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Json::Object(_) => out.push(self.object(item, target)),
                        Json::Null => out.push(Fields::default()),
                        other => self.mismatch(other.kind().to_owned(), Type::Struct(target)),
                    }
                }
                Some(Decoded::Structs(out))
            }
            (other, ty) => {
                self.mismatch(other.kind().to_owned(), ty);
                None
            }
        }
    }
}

/// xk6-redis's `tlsOptions`.
pub(super) static TLS: Struct = Struct {
    name: "tlsOptions",
    fields: &[
        ("ca", Type::Strings),
        ("cert", Type::String),
        ("key", Type::String),
    ],
};

/// xk6-redis's `socketOptions`.
pub(super) static SOCKET: Struct = Struct {
    name: "socketOptions",
    fields: &[
        ("host", Type::String),
        ("port", Type::Int),
        ("tls", Type::Struct(&TLS)),
        ("dialTimeout", Type::Int64),
        ("readTimeout", Type::Int64),
        ("writeTimeout", Type::Int64),
        ("poolSize", Type::Int),
        ("minIdleConns", Type::Int),
        ("maxConnAge", Type::Int64),
        ("poolTimeout", Type::Int64),
        ("idleTimeout", Type::Int64),
        ("idleCheckFrequency", Type::Int64),
    ],
};

/// The fields of `singleNodeOptions` (embedded in `sentinelOptions`).
macro_rules! single_node_fields {
    ($($extra:expr),*) => {
        &[
            ("socket", Type::Struct(&SOCKET)),
            ("username", Type::String),
            ("password", Type::String),
            ("clientName", Type::String),
            ("database", Type::Int),
            ("maxRetries", Type::Int),
            ("minRetryBackoff", Type::Int64),
            ("maxRetryBackoff", Type::Int64),
            $($extra),*
        ]
    };
}

/// xk6-redis's `singleNodeOptions`.
pub(super) static SINGLE: Struct = Struct {
    name: "singleNodeOptions",
    fields: single_node_fields!(),
};

/// xk6-redis's `sentinelOptions`.
pub(super) static SENTINEL: Struct = Struct {
    name: "sentinelOptions",
    fields: single_node_fields!(
        ("masterName", Type::String),
        ("sentinelUsername", Type::String),
        ("sentinelPassword", Type::String)
    ),
};

/// The fields of `commonClusterOptions` and `nodes` of type `$nodes`.
macro_rules! cluster_fields {
    ($nodes:expr) => {
        &[
            ("maxRedirects", Type::Int),
            ("readOnly", Type::Bool),
            ("routeByLatency", Type::Bool),
            ("routeRandomly", Type::Bool),
            ("nodes", $nodes),
        ]
    };
}

/// xk6-redis's `clusterNodesMapOptions`.
pub(super) static CLUSTER_MAP: Struct = Struct {
    name: "clusterNodesMapOptions",
    fields: cluster_fields!(Type::Structs(&SINGLE)),
};

/// xk6-redis's `clusterNodesStringOptions`.
pub(super) static CLUSTER_STRINGS: Struct = Struct {
    name: "clusterNodesStringOptions",
    fields: cluster_fields!(Type::Strings),
};

#[cfg(test)]
mod tests {
    use super::{decode, Json, SINGLE};

    fn object(fields: &[(&str, Json)]) -> Json {
        Json::Object(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn errors_name_the_field_as_go_does() {
        let socket = object(&[
            ("host", Json::Number("5".into())),
            ("port", Json::Number("1.5".into())),
        ]);
        let json = object(&[("socket", socket)]);
        assert_eq!(
            decode(&json, &SINGLE).unwrap_err(),
            "json: cannot unmarshal number into Go struct field socketOptions.socket.host of type string"
        );
        let json = object(&[("database", Json::String("x".into()))]);
        assert_eq!(
            decode(&json, &SINGLE).unwrap_err(),
            "json: cannot unmarshal string into Go struct field singleNodeOptions.database of type int"
        );
        let json = object(&[("foo", Json::Null)]);
        assert_eq!(
            decode(&json, &SINGLE).unwrap_err(),
            "json: unknown field \"foo\""
        );
    }

    #[test]
    fn names_match_ignoring_case_and_null_is_ignored() {
        let socket = object(&[
            ("HOST", Json::String("h".into())),
            ("Port", Json::Number("7".into())),
        ]);
        let json = object(&[("Socket", socket), ("password", Json::Null)]);
        let fields = decode(&json, &SINGLE).unwrap();
        let socket = fields.nested("socket").unwrap();
        assert_eq!(socket.string("host"), "h");
        assert_eq!(socket.int("port"), 7);
        assert_eq!(fields.string("password"), "");
    }
}
