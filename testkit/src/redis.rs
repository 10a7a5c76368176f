//! A real `redis-server` for a test: on 127.0.0.1, on a free port (bound
//! at port 0 to find one, tried again with another if the server can't
//! bind it), without persistence, answering `PING` before it is handed
//! out, and killed when dropped. Also a cluster of them
//! ([`RedisCluster`]: three masters sharing the slots, made by
//! `redis-cli --cluster create`) and a sentinel watching one
//! ([`RedisSentinel`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`, killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
}

/// How many ports are tried before giving up.
const ATTEMPTS: usize = 5;

impl RedisServer {
    /// Starts one; panics (failing the test) when `redis-server` is not
    /// installed or never answers.
    pub fn start() -> RedisServer {
        RedisServer::start_with(|_| Vec::new(), free_port)
    }

    /// Starts one on a port `port` picks, with the extra arguments `args`
    /// makes for that port.
    fn start_with(args: impl Fn(u16) -> Vec<String>, port: impl Fn() -> u16) -> RedisServer {
        RedisServer::launch(
            |port| {
                let mut all: Vec<String> = ["--port", &port.to_string(), "--bind", "127.0.0.1"]
                    .into_iter()
                    .chain(["--save", "", "--appendonly", "no"])
                    .map(str::to_owned)
                    .collect();
                all.extend(args(port));
                all
            },
            port,
        )
    }

    /// Runs `redis-server` with the arguments `args` makes for a port
    /// `port` picks, until one answers.
    fn launch(args: impl Fn(u16) -> Vec<String>, port: impl Fn() -> u16) -> RedisServer {
        for _ in 0..ATTEMPTS {
            let port = port();
            let child = Command::new("redis-server")
                .args(args(port))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server runs (scripts/test installs it)");
            let mut server = RedisServer { child, port };
            if server.wait_ready() {
                return server;
            }
            // Dropped: killed (most likely another process took the port).
        }
        panic!("redis-server did not start on any of {ATTEMPTS} ports");
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends one command (inline) and returns the reply's first line.
    pub fn command(&self, words: &[&str]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis-server");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut packed = format!("*{}\r\n", words.len());
        for word in words {
            packed.push_str(&format!("${}\r\n{word}\r\n", word.len()));
        }
        stream.write_all(packed.as_bytes()).expect("write");
        let mut line = String::new();
        BufReader::new(&mut stream)
            .read_line(&mut line)
            .expect("reply");
        line.trim_end().to_owned()
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let mut reply = [0u8; 7];
                if stream.write_all(b"PING\r\n").is_ok()
                    && stream.read_exact(&mut reply).is_ok()
                    && &reply == b"+PONG\r\n"
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// Three `redis-server`s in cluster mode, the slots shared among them,
/// each killed when dropped.
#[derive(Debug)]
pub struct RedisCluster {
    /// The nodes, all masters.
    pub nodes: Vec<RedisServer>,
    /// Holds the nodes' cluster configuration files.
    _dir: tempfile::TempDir,
}

impl RedisCluster {
    /// Starts the nodes, joins them with `redis-cli --cluster create` and
    /// waits until every node says `cluster_state:ok`.
    pub fn start() -> RedisCluster {
        let dir = tempfile::tempdir().expect("a folder for the cluster's files");
        let folder = dir.path().to_owned();
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start_with(
                    |port| {
                        let conf = folder.join(format!("nodes-{port}.conf"));
                        vec![
                            "--cluster-enabled".into(),
                            "yes".into(),
                            "--cluster-config-file".into(),
                            conf.display().to_string(),
                            "--dir".into(),
                            folder.display().to_string(),
                        ]
                    },
                    cluster_port,
                )
            })
            .collect();
        let mut create = Command::new("redis-cli");
        create.args(["--cluster", "create"]);
        for node in &nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        let made = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs (it comes with redis-server)");
        assert!(
            made.status.success(),
            "redis-cli --cluster create: {}",
            String::from_utf8_lossy(&made.stdout)
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !nodes.iter().all(|node| node.cluster_ok()) {
            assert!(Instant::now() < deadline, "the cluster never became ok");
            std::thread::sleep(Duration::from_millis(50));
        }
        RedisCluster { nodes, _dir: dir }
    }

    /// `127.0.0.1:PORT` of each node.
    pub fn addresses(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect()
    }
}

impl RedisServer {
    /// Whether `CLUSTER INFO` says the cluster is ok.
    fn cluster_ok(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream.write_all(b"CLUSTER INFO\r\n").is_err() {
            return false;
        }
        let mut reply = vec![0u8; 4096];
        let n = stream.read(&mut reply).unwrap_or(0);
        String::from_utf8_lossy(&reply[..n]).contains("cluster_state:ok")
    }
}

/// A port for a cluster node: free, and so is its cluster bus port (the
/// port plus 10000).
fn cluster_port() -> u16 {
    loop {
        let port = free_port();
        if port < 55_535 && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

/// A `redis-server` and a sentinel watching it as `mymaster`, each killed
/// when dropped.
#[derive(Debug)]
pub struct RedisSentinel {
    /// The master.
    pub master: RedisServer,
    /// The sentinel (a `redis-server --sentinel`).
    pub sentinel: RedisServer,
    /// Holds the sentinel's configuration file (it rewrites it).
    _dir: tempfile::TempDir,
}

impl RedisSentinel {
    /// The name the sentinel knows the master by.
    pub const MASTER_NAME: &'static str = "mymaster";

    /// Starts the master, then the sentinel, and waits until the sentinel
    /// names the master's address.
    pub fn start() -> RedisSentinel {
        let master = RedisServer::start();
        let dir = tempfile::tempdir().expect("a folder for the sentinel's file");
        let folder = dir.path().to_owned();
        let master_port = master.port;
        let sentinel = RedisServer::launch(
            |port| {
                let conf = folder.join(format!("sentinel-{port}.conf"));
                std::fs::write(
                    &conf,
                    format!(
                        "sentinel monitor {} 127.0.0.1 {master_port} 1\n",
                        RedisSentinel::MASTER_NAME
                    ),
                )
                .expect("the sentinel's configuration");
                // The configuration file first (the sentinel rewrites it).
                [conf.display().to_string(), "--sentinel".into()]
                    .into_iter()
                    .chain(["--port".into(), port.to_string()])
                    .chain(["--bind".into(), "127.0.0.1".into()])
                    .chain(["--dir".into(), folder.display().to_string()])
                    .collect()
            },
            free_port,
        );
        RedisSentinel {
            master,
            sentinel,
            _dir: dir,
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
