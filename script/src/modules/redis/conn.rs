//! One connection to a redis server: dialled as k6's dialer dials
//! (the `hosts` option first, 30 s), upgraded to TLS when configured,
//! set up as go-redis sets it up (`HELLO 2`, then `AUTH`, `SELECT`,
//! `CLIENT SETNAME` as needed), and used by one command at a time.
//! Every byte it moves is counted for `data_sent`/`data_received`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use k6r_http::transport::raw::connect_tcp;
use k6r_http::transport::stream::{IoMarks, Meter, MeteredStream};
use redis::{Cmd, Value, ValueCodec};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::codec::{Decoder, Framed};

use super::error::{server_line, Error};
use super::options::{Node, Settings};
use super::tls;
use super::url::{join_host_port, split_host_port};

/// What a connection needs from the VU and the client's options.
#[derive(Debug, Clone)]
pub(super) struct Dialer {
    /// k6's `hosts` option.
    pub hosts: k6r_http::Hosts,
    /// k6's `insecureSkipTLSVerify`.
    pub insecure: bool,
    pub settings: Settings,
    pub node: Node,
    /// Where the client's connections count their bytes (k6r-http's
    /// metered stream), claimed by the call that sees a reply.
    pub traffic: Arc<IoMarks>,
}

trait Io: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}

/// A set-up connection.
pub(super) struct Conn {
    framed: Framed<MeteredStream<Box<dyn Io>>, ValueCodec>,
    /// `tcp 127.0.0.1:50000->127.0.0.1:6379`, for Go's error texts.
    route: String,
    created: Instant,
    used: Instant,
}

/// Why an exchange failed, and whether go-redis would retry a timeout
/// (only once the command was being written or read).
pub(super) type Failed = (Error, bool);

impl Conn {
    /// Dials `addr` and sets the connection up.
    pub(super) async fn open(dialer: &Dialer, addr: &str) -> Result<Conn, Error> {
        let (stream, remote) = dial(dialer, addr).await?;
        let local = stream
            .local_addr()
            .map_or_else(|_| "?".to_owned(), |a| a.to_string());
        let route = format!("tcp {local}->{remote}");
        let inner: Box<dyn Io> = match &dialer.node.tls {
            Some(config) => {
                let upgraded = tokio::time::timeout(
                    dialer.settings.dial_timeout,
                    tls::upgrade(stream, remote.ip(), config, dialer.insecure),
                )
                .await
                .map_err(|_| Error::timeout(None))??;
                Box::new(upgraded)
            }
            None => Box::new(stream),
        };
        let metered = MeteredStream::new(inner, Arc::clone(&dialer.traffic), Meter::Bytes);
        let now = Instant::now();
        let mut conn = Conn {
            framed: ValueCodec::default().framed(metered),
            route,
            created: now,
            used: now,
        };
        conn.set_up(dialer).await?;
        Ok(conn)
    }

    /// go-redis's `initConn`: `HELLO 2` (with the credentials), and what
    /// it could not do, pipelined.
    async fn set_up(&mut self, dialer: &Dialer) -> Result<(), Error> {
        let node = &dialer.node;
        let mut hello = redis::cmd("hello");
        hello.arg("2");
        if !node.password.is_empty() {
            let user = if node.username.is_empty() {
                "default"
            } else {
                node.username.as_str()
            };
            hello.arg("auth").arg(user).arg(node.password.as_str());
        }
        // A timeout while setting up is Go's bare `i/o timeout`.
        let bare = |(error, _): Failed| match error {
            Error::Net { timeout: true, .. } => Error::timeout(None),
            other => other,
        };
        let authenticated = match self.exchange(&[hello], &dialer.settings).await {
            Ok(replies) => !matches!(replies.first(), Some(Value::ServerError(_))),
            Err(failed) => return Err(bare(failed)),
        };
        let mut setup = Vec::new();
        if !authenticated && !node.password.is_empty() {
            let mut auth = redis::cmd("auth");
            if !node.username.is_empty() {
                auth.arg(node.username.as_str());
            }
            setup.push(auth.arg(node.password.as_str()).clone());
        }
        if node.db > 0 {
            setup.push(redis::cmd("select").arg(node.db).clone());
        }
        if !node.client_name.is_empty() {
            let mut name = redis::cmd("client");
            setup.push(name.arg("setname").arg(node.client_name.as_str()).clone());
        }
        if setup.is_empty() {
            return Ok(());
        }
        let replies = self
            .exchange(&setup, &dialer.settings)
            .await
            .map_err(bare)?;
        match replies.into_iter().find_map(|reply| match reply {
            Value::ServerError(error) => Some(server_line(&error)),
            _ => None,
        }) {
            Some(line) => Err(Error::Server(line)),
            None => Ok(()),
        }
    }

    /// Sends `commands` at once and reads one reply each, within the
    /// write and read timeouts. A reply may be a server error.
    pub(super) async fn exchange(
        &mut self,
        commands: &[Cmd],
        settings: &Settings,
    ) -> Result<Vec<Value>, Failed> {
        self.used = Instant::now();
        let mut packed = Vec::new();
        for command in commands {
            command.write_packed_command(&mut packed);
        }
        let write = self.framed.send(packed);
        match within(settings.write_timeout, write).await {
            Some(Ok(())) => {}
            Some(Err(error)) => return Err((self.io_error(&error, "write"), true)),
            None => return Err((Error::timeout(Some(&format!("write {}", self.route))), true)),
        }
        let mut replies = Vec::with_capacity(commands.len());
        for _ in commands {
            match within(settings.read_timeout, self.framed.next()).await {
                Some(Some(Ok(value))) => replies.push(value),
                Some(Some(Err(error))) => {
                    return Err((Error::net(protocol_error(&error, &self.route)), true))
                }
                Some(None) => return Err((Error::net("EOF"), true)),
                None => return Err((Error::timeout(Some(&format!("read {}", self.route))), true)),
            }
        }
        self.used = Instant::now();
        Ok(replies)
    }

    /// One command's reply: a server error reply is an error.
    pub(super) async fn command(
        &mut self,
        command: &Cmd,
        settings: &Settings,
    ) -> Result<Value, Failed> {
        let reply = self
            .exchange(std::slice::from_ref(command), settings)
            .await?
            .pop()
            .unwrap_or(Value::Nil);
        match reply {
            Value::ServerError(error) => Err((Error::Server(server_line(&error)), false)),
            value => Ok(value),
        }
    }

    /// Whether the pool may hand it out again (go-redis's
    /// `isHealthyConn`: not too old, not idle too long, and the server
    /// has neither closed it nor sent anything unasked).
    pub(super) fn is_healthy(&mut self, settings: &Settings) -> bool {
        let now = Instant::now();
        let expired = |limit: Option<Duration>, since: Instant| {
            limit.is_some_and(|limit| now.duration_since(since) >= limit)
        };
        if expired(settings.conn_max_lifetime, self.created)
            || expired(settings.conn_max_idle_time, self.used)
        {
            return false;
        }
        // Nothing may be ready to read on an idle connection.
        self.framed.next().now_or_never().is_none()
    }

    fn io_error(&self, error: &redis::RedisError, op: &str) -> Error {
        let text = match as_io(error) {
            Some(io) => io_text(io),
            None => error.to_string(),
        };
        Error::net(format!("{op} {}: {op}: {text}", self.route))
    }
}

/// `future`'s output, unless `limit` passes first (`None`).
async fn within<T>(
    limit: Option<Duration>,
    future: impl std::future::Future<Output = T>,
) -> Option<T> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, future).await.ok(),
        None => Some(future.await),
    }
}

/// A read failure: the socket's error as Go words it, or a reply that
/// is no RESP.
fn protocol_error(error: &redis::RedisError, route: &str) -> String {
    match as_io(error) {
        Some(io) if io.kind() == io::ErrorKind::UnexpectedEof => "unexpected EOF".into(),
        Some(io) => format!("read {route}: read: {}", io_text(io)),
        None => format!("redis: {error}"),
    }
}

/// The socket error behind a redis-rs error, if that is what it is.
fn as_io(error: &redis::RedisError) -> Option<&io::Error> {
    std::error::Error::source(error)?.downcast_ref()
}

/// Dials `addr` (`host:port`) as k6's dialer does.
async fn dial(dialer: &Dialer, addr: &str) -> Result<(TcpStream, SocketAddr), Error> {
    let (host, port) = split_host_port(addr).map_err(Error::net)?;
    let port: u16 = port
        .parse()
        .map_err(|_| Error::net(format!("dial tcp: lookup tcp/{port}: unknown port")))?;
    // k6's dialer, as HTTP's: the `hosts` option, DNS, TCP, Go's words.
    let connect = connect_tcp(&host, port, &dialer.hosts);
    match tokio::time::timeout(dialer.settings.dial_timeout, connect).await {
        Ok(Ok((stream, remote))) => {
            let _ = stream.set_nodelay(true);
            Ok((stream, remote))
        }
        Ok(Err(failure)) => Err(Error::net(failure.go_text().to_owned())),
        Err(_) => {
            let (host, port) = dialer.hosts.resolve(&host, port).unwrap_or((host, port));
            let target = join_host_port(&host, &port.to_string());
            Err(Error::timeout(Some(&format!("dial tcp {target}"))))
        }
    }
}

/// An OS error as Go prints it.
fn io_text(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::ConnectionReset => "connection reset by peer".into(),
        io::ErrorKind::BrokenPipe => "broken pipe".into(),
        io::ErrorKind::HostUnreachable => "no route to host".into(),
        io::ErrorKind::NetworkUnreachable => "network is unreachable".into(),
        _ => {
            let text = error.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}
