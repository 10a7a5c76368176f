//! `new redis.Client(options)`: a URL or k6's options object read into
//! go-redis's universal options, with k6's errors (`invalid options;
//! reason: ...`), and the settings (defaults applied) a client runs with.
//!
//! As in k6 (xk6-redis v0.3.3 on go-redis v9.0.5):
//! - a `masterName` key makes a sentinel client, more than one address
//!   a cluster client, anything else a single-node client;
//! - in the options object `clientName` is accepted but not used, and
//!   `minRetryBackoff`/`maxRetryBackoff` are nanoseconds while the
//!   socket's timeouts are milliseconds;
//! - `dialTimeout` is read but k6's own dialer (30 s) bounds dialling.

use std::time::Duration;

use rquickjs::{Object, Value};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::decode::{self, Fields};
use super::export;
use super::url;
use crate::binary;

/// One node's options (go-redis's `redis.Options` as k6 fills them).
/// Durations are Go's, in nanoseconds (0: the default, negative: none).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Node {
    pub addr: String,
    pub tls: Option<TlsConfig>,
    pub username: String,
    pub password: String,
    pub client_name: String,
    pub db: i64,
    pub max_retries: i64,
    pub min_retry_backoff: i64,
    pub max_retry_backoff: i64,
    pub dial_timeout: i64,
    pub read_timeout: i64,
    pub write_timeout: i64,
    pub pool_size: i64,
    pub min_idle_conns: i64,
    pub conn_max_lifetime: i64,
    pub pool_timeout: i64,
    pub conn_max_idle_time: i64,
}

/// What a TLS connection trusts and presents.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TlsConfig {
    /// PEM certificates trusted instead of the system's (`tls.ca`).
    pub ca: Vec<String>,
    /// The client certificate and key, in PEM (`tls.cert`, `tls.key`).
    pub identity: Option<(String, String)>,
    /// The name checked (and sent) in the handshake: a `rediss://` URL's
    /// host; none for the options object (Go then refuses to handshake
    /// unless `insecureSkipTLSVerify` is set).
    pub server_name: Option<String>,
}

/// Which client the options make.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mode {
    Single,
    Cluster(Cluster),
    Sentinel(Sentinel),
}

/// The `cluster` options.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cluster {
    pub max_redirects: i64,
    pub read_only: bool,
    pub route_by_latency: bool,
    pub route_randomly: bool,
}

/// The sentinel options.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sentinel {
    pub master_name: String,
    pub username: String,
    pub password: String,
}

/// go-redis's `UniversalOptions` as k6 makes them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// Every node's address (`host:port`, as written).
    pub addrs: Vec<String>,
    /// The options all nodes share (their `addr` is unused).
    pub node: Node,
    pub mode: Mode,
}

/// The argument of `new redis.Client(...)` read as k6 reads it; `Err` is
/// k6's message.
pub(crate) fn read(value: &Value<'_>) -> rquickjs::Result<Result<Options, String>> {
    if let Some(text) = value.as_string() {
        let text = text.to_string()?;
        return Ok(url::parse(&text)
            .and_then(|node| Options::from_nodes(vec![node], Mode::Single))
            .map_err(invalid));
    }
    let go_type = binary::go_type(value);
    match value.as_object() {
        Some(object) if go_type == "map[string]interface {}" => {
            Ok(from_object(object)?.map_err(invalid))
        }
        _ => Ok(Err(format!(
            "invalid options type: {go_type}; expected string or object"
        ))),
    }
}

fn invalid(reason: String) -> String {
    format!("invalid options; reason: {reason}")
}

/// xk6-redis's `newOptionsFromObject`.
fn from_object(object: &Object<'_>) -> rquickjs::Result<Result<Options, String>> {
    let keys: Vec<String> = object.keys::<String>().collect::<rquickjs::Result<_>>()?;
    let cluster: Value = object.get("cluster")?;
    if let Some(cluster) = cluster
        .as_object()
        .filter(|_| binary::go_type(&cluster) == "map[string]interface {}")
    {
        let nodes: Value = cluster.get("nodes")?;
        let Some(nodes_array) = nodes.as_array() else {
            return Ok(Err(format!(
                "cluster nodes property must be an array; got {}",
                binary::go_type(&nodes)
            )));
        };
        let first = match crate::js::array_items(nodes_array)?.into_iter().next() {
            Some(first) => first,
            None => return Ok(Err("cluster nodes property cannot be empty".into())),
        };
        let target = match binary::go_type(&first) {
            "map[string]interface {}" => &decode::CLUSTER_MAP,
            "string" if first.is_string() => &decode::CLUSTER_STRINGS,
            other => {
                return Ok(Err(format!(
                    "cluster nodes array must contain string or object elements; got {other}"
                )))
            }
        };
        let fields = match decoded(&cluster.clone().into_value(), target)? {
            Ok(fields) => fields,
            Err(error) => return Ok(Err(error)),
        };
        return Ok(cluster_options(
            &fields,
            std::ptr::eq(target, &decode::CLUSTER_MAP),
        ));
    }
    let value = object.clone().into_value();
    if keys.iter().any(|key| key == "masterName") {
        let fields = match decoded(&value, &decode::SENTINEL)? {
            Ok(fields) => fields,
            Err(error) => return Ok(Err(error)),
        };
        let sentinel = Sentinel {
            master_name: fields.string("masterName"),
            username: fields.string("sentinelUsername"),
            password: fields.string("sentinelPassword"),
        };
        return Ok(single_node(&fields)
            .and_then(|node| Options::from_nodes(vec![node], Mode::Sentinel(sentinel))));
    }
    Ok(match decoded(&value, &decode::SINGLE)? {
        Ok(fields) => {
            single_node(&fields).and_then(|node| Options::from_nodes(vec![node], Mode::Single))
        }
        Err(error) => Err(error),
    })
}

/// `value` marshalled and decoded into `target`.
fn decoded(
    value: &Value<'_>,
    target: &'static decode::Struct,
) -> rquickjs::Result<Result<Fields, String>> {
    Ok(match export::export(value)? {
        Ok(json) => decode::decode(&json, target),
        Err(error) => Err(format!("unable to serialize options to JSON {error}")),
    })
}

fn cluster_options(fields: &Fields, objects: bool) -> Result<Options, String> {
    let cluster = Cluster {
        max_redirects: fields.int("maxRedirects"),
        read_only: fields.bool("readOnly"),
        route_by_latency: fields.bool("routeByLatency"),
        route_randomly: fields.bool("routeRandomly"),
    };
    let nodes = if objects {
        fields
            .list("nodes")
            .iter()
            .map(single_node)
            .collect::<Result<Vec<_>, _>>()?
    } else {
        fields
            .strings("nodes")
            .iter()
            .map(|node| url::parse(node))
            .collect::<Result<Vec<_>, _>>()?
    };
    Options::from_nodes(nodes, Mode::Cluster(cluster))
}

/// xk6-redis's `singleNodeOptions.toRedisOptions`.
fn single_node(fields: &Fields) -> Result<Node, String> {
    let socket = fields.nested("socket").ok_or("empty socket options")?;
    let tls = match socket.nested("tls") {
        Some(tls) => Some(tls_config(tls)?),
        None => None,
    };
    Ok(Node {
        addr: format!("{}:{}", socket.string("host"), socket.int("port")),
        tls,
        username: fields.string("username"),
        password: fields.string("password"),
        // Read, but not passed on by xk6-redis.
        client_name: String::new(),
        db: fields.int("database"),
        max_retries: fields.int("maxRetries"),
        min_retry_backoff: fields.int("minRetryBackoff"),
        max_retry_backoff: fields.int("maxRetryBackoff"),
        dial_timeout: url::millis(socket.int("dialTimeout")),
        read_timeout: url::millis(socket.int("readTimeout")),
        write_timeout: url::millis(socket.int("writeTimeout")),
        pool_size: socket.int("poolSize"),
        min_idle_conns: socket.int("minIdleConns"),
        conn_max_lifetime: url::millis(socket.int("maxConnAge")),
        pool_timeout: url::millis(socket.int("poolTimeout")),
        conn_max_idle_time: url::millis(socket.int("idleTimeout")),
    })
}

fn tls_config(tls: &Fields) -> Result<TlsConfig, String> {
    let (cert, key) = (tls.string("cert"), tls.string("key"));
    let identity = if cert.is_empty() || key.is_empty() {
        None
    } else {
        // Go's `tls.X509KeyPair` checks both at once.
        if CertificateDer::pem_slice_iter(cert.as_bytes())
            .next()
            .is_none_or(|c| c.is_err())
        {
            return Err("tls: failed to find any PEM data in certificate input".into());
        }
        if PrivateKeyDer::from_pem_slice(key.as_bytes()).is_err() {
            return Err("tls: failed to find any PEM data in key input".into());
        }
        Some((cert, key))
    };
    Ok(TlsConfig {
        ca: tls.strings("ca"),
        identity,
        server_name: None,
    })
}

/// Checks two nodes' values of one option agree (both set, differing).
fn consistent<T: PartialEq + std::fmt::Display + Default>(
    name: &str,
    shared: &mut T,
    node: T,
    show: bool,
) -> Result<(), String> {
    let unset = T::default();
    if *shared != unset && node != unset && *shared != node {
        return Err(if show {
            format!("inconsistent {name} option: {shared} != {node}")
        } else {
            format!("inconsistent {name} option")
        });
    }
    *shared = node;
    Ok(())
}

impl Options {
    /// go-redis's `setConsistentOptions` over `nodes`.
    fn from_nodes(nodes: Vec<Node>, mode: Mode) -> Result<Options, String> {
        let mut shared = Node::default();
        let mut addrs = Vec::new();
        for node in nodes {
            addrs.push(node.addr);
            if shared.tls.is_none() {
                shared.tls = node.tls;
            }
            consistent("db", &mut shared.db, node.db, true)?;
            consistent("username", &mut shared.username, node.username, true)?;
            consistent("password", &mut shared.password, node.password, false)?;
            consistent(
                "clientName",
                &mut shared.client_name,
                node.client_name,
                true,
            )?;
            consistent(
                "maxRetries",
                &mut shared.max_retries,
                node.max_retries,
                true,
            )?;
            let pairs = [
                (
                    "minRetryBackoff",
                    &mut shared.min_retry_backoff,
                    node.min_retry_backoff,
                ),
                (
                    "maxRetryBackoff",
                    &mut shared.max_retry_backoff,
                    node.max_retry_backoff,
                ),
                ("dialTimeout", &mut shared.dial_timeout, node.dial_timeout),
                ("readTimeout", &mut shared.read_timeout, node.read_timeout),
                (
                    "writeTimeout",
                    &mut shared.write_timeout,
                    node.write_timeout,
                ),
                ("poolSize", &mut shared.pool_size, node.pool_size),
                (
                    "minIdleConns",
                    &mut shared.min_idle_conns,
                    node.min_idle_conns,
                ),
                (
                    "maxConnAge",
                    &mut shared.conn_max_lifetime,
                    node.conn_max_lifetime,
                ),
                ("poolTimeout", &mut shared.pool_timeout, node.pool_timeout),
                (
                    "idleTimeout",
                    &mut shared.conn_max_idle_time,
                    node.conn_max_idle_time,
                ),
            ];
            for (name, slot, value) in pairs {
                consistent(name, slot, value, true)?;
            }
        }
        // go-redis's `NewUniversalClient`.
        let mode = match mode {
            Mode::Sentinel(sentinel) if !sentinel.master_name.is_empty() => {
                Mode::Sentinel(sentinel)
            }
            Mode::Cluster(cluster) if addrs.len() > 1 => Mode::Cluster(cluster),
            _ if addrs.len() > 1 => Mode::Cluster(Cluster::default()),
            _ => Mode::Single,
        };
        Ok(Options {
            addrs,
            node: shared,
            mode,
        })
    }

    /// The settings commands run with.
    pub(crate) fn settings(&self) -> Settings {
        Settings::new(&self.node)
    }
}

/// go-redis's option defaults applied (`Options.init`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub read_timeout: Option<Duration>,
    pub write_timeout: Option<Duration>,
    pub pool_timeout: Duration,
    pub pool_size: usize,
    pub max_retries: u32,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub conn_max_idle_time: Option<Duration>,
    pub conn_max_lifetime: Option<Duration>,
    /// k6's dialer's timeout (go-redis's `dialTimeout` is not used with it).
    pub dial_timeout: Duration,
}

/// k6's dialer gives up connecting after this.
const K6_DIAL_TIMEOUT: Duration = Duration::from_secs(30);

impl Settings {
    fn new(node: &Node) -> Settings {
        let positive = |ns: i64| url::nanos(ns).filter(|d| !d.is_zero());
        let read_timeout = match node.read_timeout {
            0 => Some(Duration::from_secs(3)),
            ns => positive(ns),
        };
        let write_timeout = match node.write_timeout {
            0 => read_timeout,
            ns => positive(ns),
        };
        let pool_timeout = match node.pool_timeout {
            0 => read_timeout.map_or(Duration::from_secs(30), |read| {
                read + Duration::from_secs(1)
            }),
            ns => url::nanos(ns).unwrap_or_default(),
        };
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let pool_size = match usize::try_from(node.pool_size) {
            Ok(0) | Err(_) => 10 * cores,
            Ok(size) => size,
        };
        let backoff = |ns: i64, default: Duration| match ns {
            0 => default,
            ns => url::nanos(ns).unwrap_or_default(),
        };
        Settings {
            read_timeout,
            write_timeout,
            pool_timeout,
            pool_size,
            max_retries: match node.max_retries {
                0 => 3,
                n => u32::try_from(n).unwrap_or(0),
            },
            min_backoff: backoff(node.min_retry_backoff, Duration::from_millis(8)),
            max_backoff: backoff(node.max_retry_backoff, Duration::from_millis(512)),
            conn_max_idle_time: match node.conn_max_idle_time {
                0 => Some(Duration::from_secs(30 * 60)),
                ns => positive(ns),
            },
            conn_max_lifetime: positive(node.conn_max_lifetime),
            dial_timeout: K6_DIAL_TIMEOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Mode, Node, Options};

    fn node(addr: &str) -> Node {
        Node {
            addr: addr.into(),
            ..Node::default()
        }
    }

    #[test]
    fn one_address_is_a_single_node_client_even_in_cluster_mode() {
        let cluster = Mode::Cluster(Default::default());
        let options = Options::from_nodes(vec![node("a:1")], cluster.clone()).unwrap();
        assert_eq!(options.mode, Mode::Single);
        let options = Options::from_nodes(vec![node("a:1"), node("b:2")], cluster).unwrap();
        assert!(matches!(options.mode, Mode::Cluster(_)));
    }

    #[test]
    fn nodes_must_agree() {
        let (mut a, mut b) = (node("a:1"), node("b:2"));
        (a.db, b.db) = (1, 2);
        let error = Options::from_nodes(vec![a, b], Mode::Single).unwrap_err();
        assert_eq!(error, "inconsistent db option: 1 != 2");
        let (mut a, mut b) = (node("a:1"), node("b:2"));
        (a.password, b.password) = ("x".into(), "y".into());
        let error = Options::from_nodes(vec![a, b], Mode::Single).unwrap_err();
        assert_eq!(error, "inconsistent password option");
    }

    #[test]
    fn defaults_are_go_rediss() {
        let settings = Options::from_nodes(vec![node("a:1")], Mode::Single)
            .unwrap()
            .settings();
        assert_eq!(settings.read_timeout, Some(Duration::from_secs(3)));
        assert_eq!(settings.write_timeout, Some(Duration::from_secs(3)));
        assert_eq!(settings.pool_timeout, Duration::from_secs(4));
        assert_eq!(settings.max_retries, 3);
        assert_eq!(settings.min_backoff, Duration::from_millis(8));
        let mut quick = node("a:1");
        (quick.read_timeout, quick.max_retries) = (-1, -1);
        let settings = Options::from_nodes(vec![quick], Mode::Single)
            .unwrap()
            .settings();
        assert_eq!(settings.read_timeout, None);
        assert_eq!(settings.pool_timeout, Duration::from_secs(30));
        assert_eq!(settings.max_retries, 0);
    }
}
