//! The demo's gRPC service `k6r.demo.Demo` (`proto/demo.proto`): one
//! method of each kind, with server reflection (v1 and v1alpha), served
//! on a port of its own ([`serve`]).
//!
//! - `Echo` answers with the request (metadata `x-demo` copied into the
//!   reply) and sends a header `x-demo-header`; `fail_code` answers with that status instead,
//!   `delay_ms` answers late (at most [`crate::MAX_DELAY`]).
//! - `Countdown` streams `count` ticks (at most 1000), `count - 1` to 0.
//! - `Sum` sums the numbers the client streams.
//! - `Chat` echoes every request as it comes, until the client ends.

use std::pin::Pin;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status, Streaming};

/// The generated messages and service of `demo.proto`.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("k6r.demo");
}

/// The encoded descriptor set of `demo.proto` and `route_guide.proto`
/// (what reflection serves).
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/demo_descriptor.bin"));

use pb::demo_server::{Demo, DemoServer};
use pb::{CountdownRequest, EchoReply, EchoRequest, Number, Tick, Total};

/// The service's state (none).
#[derive(Debug, Default)]
struct Service;

type Ticks = Pin<Box<dyn Stream<Item = Result<Tick, Status>> + Send>>;
type Replies = Pin<Box<dyn Stream<Item = Result<EchoReply, Status>> + Send>>;

fn reply(request: EchoRequest, metadata: String) -> EchoReply {
    EchoReply {
        message: request.message,
        big: request.big,
        tags: request.tags,
        color: request.color,
        data: request.data,
        metadata,
        ratio: 0.5,
        empty_flag: false,
    }
}

#[tonic::async_trait]
impl Demo for Service {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoReply>, Status> {
        let client_cert = request.peer_certs().is_some_and(|certs| !certs.is_empty());
        let metadata = request
            .metadata()
            .get("x-demo")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let request = request.into_inner();
        if request.delay_ms > 0 {
            let wait = Duration::from_millis(request.delay_ms.into()).min(crate::MAX_DELAY);
            tokio::time::sleep(wait).await;
        }
        if request.fail_code != 0 {
            return Err(Status::new(
                tonic::Code::from_i32(request.fail_code),
                format!("failed as asked: {}", request.message),
            ));
        }
        let mut response = Response::new(reply(request, metadata));
        response
            .metadata_mut()
            .insert("x-demo-header", MetadataValue::from_static("header-value"));
        if client_cert {
            response
                .metadata_mut()
                .insert("x-demo-client-cert", MetadataValue::from_static("yes"));
        }
        Ok(response)
    }

    type CountdownStream = Ticks;

    async fn countdown(
        &self,
        request: Request<CountdownRequest>,
    ) -> Result<Response<Ticks>, Status> {
        let count = request.into_inner().count.clamp(0, 1000);
        let ticks = tokio_stream::iter((0..count).rev().map(|n| Ok(Tick { n })));
        Ok(Response::new(Box::pin(ticks)))
    }

    async fn sum(&self, request: Request<Streaming<Number>>) -> Result<Response<Total>, Status> {
        let mut numbers = request.into_inner();
        let mut total = Total::default();
        while let Some(number) = numbers.next().await {
            total.sum = total.sum.wrapping_add(number?.value);
            total.count += 1;
        }
        Ok(Response::new(total))
    }

    type ChatStream = Replies;

    async fn chat(
        &self,
        request: Request<Streaming<EchoRequest>>,
    ) -> Result<Response<Replies>, Status> {
        let requests = request.into_inner();
        let replies = requests.map(|request| request.map(|r| reply(r, String::new())));
        Ok(Response::new(Box::pin(replies)))
    }
}

/// Serves the gRPC services and reflection on `listener` until `shutdown`
/// is cancelled.
pub async fn serve(
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    serve_with(tonic::transport::Server::builder(), listener, shutdown).await
}

/// [`serve`] over TLS with `identity`'s server certificate; a client
/// certificate signed by its authority is taken, not required (`Echo`
/// answers with the header `x-demo-client-cert: yes` when one came).
pub async fn serve_tls(
    listener: TcpListener,
    identity: &crate::tls::Identity,
    shutdown: CancellationToken,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = tonic::transport::ServerTlsConfig::new()
        .identity(tonic::transport::Identity::from_pem(
            &identity.server_cert_pem,
            &identity.server_key_pem,
        ))
        .client_ca_root(tonic::transport::Certificate::from_pem(&identity.ca_pem))
        .client_auth_optional(true);
    let builder = tonic::transport::Server::builder().tls_config(config)?;
    serve_with(builder, listener, shutdown).await
}

async fn serve_with(
    mut builder: tonic::transport::Server,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(DESCRIPTOR_SET)
        .build_v1()?;
    let v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(DESCRIPTOR_SET)
        .build_v1alpha()?;
    let (explorer, guide) = crate::route_guide::services();
    // TCP_NODELAY, as gRPC servers set it: without it a reply's frames
    // wait for the client's delayed ACK (40 ms) when the client does not
    // acknowledge at once (Go's gRPC does not).
    let incoming = tokio_stream::StreamExt::map(TcpListenerStream::new(listener), |accepted| {
        accepted.and_then(|stream| stream.set_nodelay(true).map(|()| stream))
    });
    builder
        .add_service(DemoServer::new(Service))
        .add_service(explorer)
        .add_service(guide)
        .add_service(v1)
        .add_service(v1alpha)
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await?;
    Ok(())
}
