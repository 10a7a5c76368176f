//! Cluster mode (`cluster.nodes`, or more than one address): redis-rs's
//! cluster client routes each command to the node owning its key and
//! follows `MOVED`/`ASK` up to `maxRedirects` times. As in go-redis,
//! `readOnly` sends reads to a random replica of the key's shard and
//! `routeRandomly` to a random node of it (primary included);
//! `routeByLatency` does too (k6r does not measure the nodes' latency).
//! A command with several keys goes, as in go-redis, to the node of its
//! first key, whose server refuses keys of other slots (`CROSSSLOT`);
//! redis-rs would split it over the nodes instead.
//!
//! Its connections are redis-rs's own: their bytes are not counted in
//! `data_sent`/`data_received`.

use std::rc::Rc;
use std::time::Duration;

use redis::aio::ConnectionLike;
use redis::cluster::{ClusterClient, ClusterClientBuilder, NodeAddress};
use redis::cluster_async::ClusterConnection;
use redis::cluster_read_routing::{RandomReplicaStrategy, ReadCandidates, ReadRoutingStrategy};
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, ConnectionAddr, IntoConnectionInfo, TlsCertificates, Value};
use tokio::sync::OnceCell;

use super::error::{server_line, Error};
use super::options::{Cluster as ClusterOptions, Options, Settings};
use super::url::split_host_port;

/// The cluster client, connected on first use.
pub(super) struct Cluster {
    client: ClusterClient,
    connection: OnceCell<ClusterConnection>,
    read_timeout: Option<Duration>,
    /// Where a multi-key read goes: a replica may serve it (`readOnly`,
    /// `routeRandomly`, `routeByLatency`).
    reads: SlotAddr,
}

/// The commands of several keys redis-rs would split over the nodes.
const MULTI_KEY: &[&[u8]] = &[b"DEL", b"EXISTS", b"MGET", b"MSET", b"UNLINK", b"TOUCH"];

/// Those of them that only read.
const MULTI_KEY_READS: &[&[u8]] = &[b"EXISTS", b"MGET"];

impl Cluster {
    pub(super) fn new(
        options: &Options,
        cluster: &ClusterOptions,
        settings: &Settings,
        insecure: bool,
    ) -> Result<Cluster, Error> {
        let node = &options.node;
        let mut infos = Vec::new();
        for addr in &options.addrs {
            let (host, port) = split_host_port(addr).map_err(Error::net)?;
            let port = port
                .parse()
                .map_err(|_| Error::net(format!("dial tcp: lookup tcp/{port}: unknown port")))?;
            let addr = match &node.tls {
                Some(_) => ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure,
                    tls_params: None,
                },
                None => ConnectionAddr::Tcp(host, port),
            };
            infos.push(
                addr.into_connection_info()
                    .map_err(|error| Error::from_redis(&error))?,
            );
        }
        let mut builder = ClusterClientBuilder::new(infos)
            .connection_timeout(settings.dial_timeout)
            .retries(match cluster.max_redirects {
                0 => 3,
                n => u32::try_from(n).unwrap_or(0),
            });
        if let Some(read) = settings.read_timeout {
            builder = builder.response_timeout(read);
        }
        if !node.username.is_empty() {
            builder = builder.username(&node.username);
        }
        if !node.password.is_empty() {
            builder = builder.password(&node.password);
        }
        if cluster.route_by_latency || cluster.route_randomly {
            builder = builder.read_routing_strategy(RandomNode);
        } else if cluster.read_only {
            builder = builder.read_routing_strategy(RandomReplicaStrategy);
        }
        if let Some(tls) = &node.tls {
            let root_cert = (!tls.ca.is_empty()).then(|| tls.ca.join("\n").into_bytes());
            let client_tls = tls
                .identity
                .as_ref()
                .map(|(cert, key)| redis::ClientTlsConfig {
                    client_cert: cert.clone().into_bytes(),
                    client_key: key.clone().into_bytes(),
                });
            builder = builder.certs(TlsCertificates {
                client_tls,
                root_cert,
            });
        }
        let client = builder.build().map_err(|error| Error::from_redis(&error))?;
        let replicas_read = cluster.read_only || cluster.route_randomly || cluster.route_by_latency;
        Ok(Cluster {
            client,
            connection: OnceCell::new(),
            read_timeout: settings.read_timeout,
            reads: if replicas_read {
                SlotAddr::ReplicaOptional
            } else {
                SlotAddr::Master
            },
        })
    }

    /// Runs `command` on the node that owns its key.
    pub(super) async fn process(self: Rc<Self>, command: Cmd) -> Result<Value, Error> {
        let connection = self
            .connection
            .get_or_try_init(|| self.client.get_async_connection())
            .await
            .map_err(|error| Error::from_redis(&error))?;
        let mut connection = connection.clone();
        let exchange = match self.first_key_route(&command) {
            Some(route) => {
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route));
                Box::pin(connection.route_command(command, routing))
            }
            None => connection.req_packed_command(&command),
        };
        let reply = match self.read_timeout {
            Some(limit) => tokio::time::timeout(limit + limit, exchange)
                .await
                .map_err(|_| Error::timeout(None))?,
            None => exchange.await,
        };
        match reply {
            Ok(Value::ServerError(error)) => Err(Error::Server(server_line(&error))),
            Ok(value) => Ok(value),
            Err(error) => Err(Error::from_redis(&error)),
        }
    }
}

impl Cluster {
    /// The route to the first key's node of a command redis-rs would
    /// split (`None`: redis-rs routes it as go-redis does).
    fn first_key_route(&self, command: &Cmd) -> Option<Route> {
        let mut args = command.args_iter().filter_map(|arg| match arg {
            redis::Arg::Simple(bytes) => Some(bytes),
            _ => None,
        });
        let name = args.next()?.to_ascii_uppercase();
        if !MULTI_KEY.contains(&name.as_slice()) {
            return None;
        }
        let key = args.next()?;
        let addr = if MULTI_KEY_READS.contains(&name.as_slice()) {
            self.reads
        } else {
            SlotAddr::Master
        };
        Some(Route::with_key(key, addr))
    }
}

/// go-redis's `RouteRandomly`: a read goes to any node of its shard.
#[derive(Debug, Default)]
struct RandomNode;

impl ReadRoutingStrategy for RandomNode {
    fn route_read<'a>(&self, candidates: &ReadCandidates<'a>) -> &'a NodeAddress {
        match candidates {
            ReadCandidates::AnyNode(nodes) => {
                let replicas = nodes.replicas();
                let pick = fastrand::usize(0..=replicas.len().get());
                replicas.get(pick).unwrap_or(nodes.primary())
            }
            ReadCandidates::ReplicasOnly(nodes) => nodes.replicas().choose_random(),
        }
    }
}
