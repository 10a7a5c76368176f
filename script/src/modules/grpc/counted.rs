//! How a client's connection is dialled: after the VU's `hosts` option,
//! as k6's dialer does (k6r-http's [`connect_tcp`]), with Go's dial
//! errors. And the bytes it moves, for `data_sent` and
//! `data_received` (k6 counts gRPC's bytes on the wire as it counts
//! HTTP's): the channel dials through [`Connector`], whose TCP streams
//! count what they read and write into the connection's
//! [`IoMarks`] (k6r-http's metered stream, as HTTP and WebSockets use;
//! TLS, when on, is laid over them, so the counts are of encrypted bytes,
//! as k6's). A VU claims what was counted so far into its call's totals
//! after each call or event ([`crate::state::VuState::claim_bytes`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use k6r_http::transport::raw::connect_tcp;
use k6r_http::transport::stream::{IoMarks, Meter, MeteredStream};
use k6r_http::Hosts;
use tokio::net::TcpStream;

/// Dials TCP streams that count their bytes into `marks`.
#[derive(Clone, Debug)]
pub(super) struct Connector {
    pub marks: Arc<IoMarks>,
    /// k6's `hosts` option.
    pub hosts: Hosts,
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<MeteredStream<TcpStream>>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let marks = self.marks.clone();
        let hosts = self.hosts.clone();
        Box::pin(async move {
            let host = uri.host().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri
                .port_u16()
                .unwrap_or(if uri.scheme_str() == Some("https") {
                    443
                } else {
                    80
                });
            let (stream, _) = connect_tcp(host, port, &hosts)
                .await
                .map_err(|failure| io::Error::other(failure.go_text().to_owned()))?;
            stream.set_nodelay(true)?;
            Ok(TokioIo::new(MeteredStream::new(
                stream,
                marks,
                Meter::Bytes,
            )))
        })
    }
}
