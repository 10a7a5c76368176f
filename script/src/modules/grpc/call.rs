//! One RPC on the wire: the request stream out, the response's headers,
//! messages and trailers (or its status) back, within the call's
//! timeout. Unary calls, `invoke` and `asyncInvoke`, are a stream of one
//! message each way ([`unary`]); `grpc.Stream` drives [`open`] itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::Stream;
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, MethodDescriptor};
use tonic::client::Grpc;
use tonic::codec::Streaming;
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use super::codec::DynamicCodec;
use super::connection::Connection;
use k6r_http::transport::stream::IoMarks;

/// What a unary call ended with.
pub(super) struct Outcome {
    /// The response's message, if one came before the status.
    pub message: Option<DynamicMessage>,
    pub headers: MetadataMap,
    pub trailers: MetadataMap,
    /// `None`: OK.
    pub error: Option<Status>,
    /// From sending the request to the status.
    pub elapsed: Duration,
    /// The call's own timeout ended it (k6 then records no sample: its
    /// context is done).
    pub timed_out: bool,
    /// The method's output type (a failed call's `message` is its empty
    /// message, as in k6).
    pub output: MessageDescriptor,
    /// The connection's byte counts, claimed with the call.
    pub marks: Arc<IoMarks>,
}

impl Outcome {
    /// The call's status code.
    pub(super) fn code(&self) -> i32 {
        self.error.as_ref().map_or(0, |status| status.code() as i32)
    }
}

/// The status of a message past `maxSendSize`, refused before sending
/// (gRPC-go's stream wording, unary calls included).
pub(super) fn too_large(size: usize, max: usize) -> Status {
    Status::new(
        Code::ResourceExhausted,
        format!("trying to send message larger than max ({size} vs. {max})"),
    )
}

/// The status of a call whose deadline passed (gRPC-go's wording).
pub(super) fn deadline_exceeded() -> Status {
    Status::new(Code::DeadlineExceeded, "context deadline exceeded")
}

/// Starts the call `path` of `method` on `connection`: the response's
/// headers and message stream, or the status that ended it early.
pub(super) async fn open<S>(
    connection: &Connection,
    method: &MethodDescriptor,
    path: &str,
    requests: S,
    metadata: MetadataMap,
    timeout: Option<Duration>,
) -> Result<(MetadataMap, Streaming<DynamicMessage>), Status>
where
    S: Stream<Item = DynamicMessage> + Send + 'static,
{
    let mut grpc = Grpc::new(connection.channel.clone())
        .max_decoding_message_size(connection.max_receive)
        .max_encoding_message_size(connection.max_send);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("connection error: {e}")))?;
    let path = http::uri::PathAndQuery::try_from(path)
        .map_err(|e| Status::internal(format!("malformed method name: {e}")))?;
    let mut request = tonic::Request::new(requests);
    *request.metadata_mut() = metadata;
    if let Some(timeout) = timeout {
        request.set_timeout(timeout);
    }
    let codec = DynamicCodec {
        output: method.output(),
    };
    let response = grpc.streaming(request, path, codec).await?;
    let (headers, messages, _) = response.into_parts();
    Ok((headers, messages))
}

/// A unary call: `request` out, one message and the trailers back,
/// within `timeout`.
pub(super) async fn unary(
    connection: Connection,
    method: MethodDescriptor,
    path: String,
    request: DynamicMessage,
    metadata: MetadataMap,
    timeout: Duration,
) -> Outcome {
    let started = Instant::now();
    let size = request.encoded_len();
    if size > connection.max_send {
        // gRPC-go refuses it before sending (k6's maxSendSize).
        return Outcome {
            message: None,
            headers: MetadataMap::new(),
            trailers: MetadataMap::new(),
            error: Some(too_large(size, connection.max_send)),
            elapsed: started.elapsed(),
            timed_out: false,
            output: method.output(),
            marks: connection.marks.clone(),
        };
    }
    if timeout.is_zero() {
        // A deadline already past (a timeout of 0, or one that rounds to
        // it): gRPC-go fails the call before sending it, and no race with
        // a reply can make it succeed.
        return Outcome {
            message: None,
            headers: MetadataMap::new(),
            trailers: MetadataMap::new(),
            error: Some(deadline_exceeded()),
            elapsed: started.elapsed(),
            timed_out: true,
            output: method.output(),
            marks: connection.marks.clone(),
        };
    }
    let exchange = async {
        let requests = tokio_stream::once(request);
        let (headers, mut messages) = open(
            &connection,
            &method,
            &path,
            requests,
            metadata,
            Some(timeout),
        )
        .await
        .map_err(|status| (MetadataMap::new(), status))?;
        let mut message = None;
        loop {
            match messages.message().await {
                Ok(Some(next)) => {
                    message.get_or_insert(next);
                }
                Ok(None) => break,
                Err(status) => return Err((headers, status)),
            }
        }
        let trailers = match messages.trailers().await {
            Ok(trailers) => trailers.unwrap_or_default(),
            Err(status) => return Err((headers, status)),
        };
        Ok((headers, message, trailers))
    };
    let mut timed_out = false;
    let result = match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err((MetadataMap::new(), deadline_exceeded())),
    };
    let elapsed = started.elapsed();
    let output = method.output();
    match result {
        Ok((headers, message, trailers)) => Outcome {
            message,
            headers,
            trailers,
            error: None,
            elapsed,
            timed_out,
            output,
            marks: connection.marks.clone(),
        },
        Err((headers, status)) => {
            // tonic's own deadline (from the grpc-timeout it sends) ends
            // the call as Cancelled; gRPC-go's as DeadlineExceeded.
            let status = if status.code() == Code::DeadlineExceeded
                || (status.code() == Code::Cancelled && status.message() == "Timeout expired")
            {
                timed_out = elapsed >= timeout;
                Status::with_metadata(
                    Code::DeadlineExceeded,
                    deadline_exceeded().message(),
                    status.metadata().clone(),
                )
            } else if status.message().contains("message length too large") {
                // A message past maxReceiveSize or maxSendSize: gRPC-go's code.
                Status::with_metadata(
                    Code::ResourceExhausted,
                    status.message(),
                    status.metadata().clone(),
                )
            } else {
                status
            };
            let trailers = if timed_out {
                MetadataMap::new()
            } else {
                // The trailers of a failed call come with its status.
                status.metadata().clone()
            };
            Outcome {
                message: None,
                headers,
                trailers,
                error: Some(status),
                elapsed,
                timed_out,
                output,
                marks: connection.marks.clone(),
            }
        }
    }
}
