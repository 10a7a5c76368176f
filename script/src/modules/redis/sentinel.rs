//! Sentinel mode (`masterName`): the sentinels at `socket` (with
//! `sentinelUsername`/`sentinelPassword`) name the master, and the
//! client's pool connects to it (with `username`, `password`,
//! `database`) as to any server. redis-rs asks the sentinels.

use std::rc::Rc;

use redis::sentinel::Sentinel;
use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
use tokio::sync::Mutex;

use super::error::Error;
use super::options::Sentinel as SentinelOptions;
use super::url::{join_host_port, split_host_port};

/// go-redis's error when no sentinel names the master.
const UNREACHABLE: &str = "redis: all sentinels specified in configuration are unreachable";

/// Asks the sentinels for the master's address.
pub(super) struct Masters {
    name: String,
    sentinels: Rc<Mutex<Option<Sentinel>>>,
    addrs: Vec<String>,
    options: SentinelOptions,
    tls: bool,
    insecure: bool,
}

impl Masters {
    pub(super) fn new(
        addrs: Vec<String>,
        options: SentinelOptions,
        tls: bool,
        insecure: bool,
    ) -> Masters {
        Masters {
            name: options.master_name.clone(),
            sentinels: Rc::new(Mutex::new(None)),
            addrs,
            options,
            tls,
            insecure,
        }
    }

    /// The master's `host:port`, as the sentinels tell it now.
    pub(super) async fn master_addr(&self) -> Result<String, Error> {
        let mut sentinels = self.sentinels.lock().await;
        if sentinels.is_none() {
            *sentinels = Some(self.build()?);
        }
        let Some(sentinel) = sentinels.as_mut() else {
            return Err(Error::Client("redis: sentinels unavailable".into()));
        };
        // go-redis asks each sentinel in turn and, when none names the
        // master (unreachable, or not knowing that name), says so.
        let master = sentinel
            .async_master_for(&self.name, None)
            .await
            .map_err(|_| Error::Client(UNREACHABLE.into()))?;
        Ok(match master.get_connection_info().addr() {
            ConnectionAddr::Tcp(host, port) | ConnectionAddr::TcpTls { host, port, .. } => {
                join_host_port(host, &port.to_string())
            }
            other => other.to_string(),
        })
    }

    fn build(&self) -> Result<Sentinel, Error> {
        let mut settings = RedisConnectionInfo::default().set_skip_set_lib_name();
        if !self.options.username.is_empty() {
            settings = settings.set_username(&self.options.username);
        }
        if !self.options.password.is_empty() {
            settings = settings.set_password(&self.options.password);
        }
        let mut infos = Vec::new();
        for addr in &self.addrs {
            let (host, port) = split_host_port(addr).map_err(Error::net)?;
            let port = port
                .parse()
                .map_err(|_| Error::net(format!("dial tcp: lookup tcp/{port}: unknown port")))?;
            let addr = if self.tls {
                ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure: self.insecure,
                    tls_params: None,
                }
            } else {
                ConnectionAddr::Tcp(host, port)
            };
            let info = addr
                .into_connection_info()
                .map_err(|error| Error::from_redis(&error))?
                .set_redis_settings(settings.clone());
            infos.push(info);
        }
        Sentinel::build(infos).map_err(|error| Error::from_redis(&error))
    }
}
