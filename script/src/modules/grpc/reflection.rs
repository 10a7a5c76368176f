//! `connect` with `reflect: true`: the server's methods, asked of its
//! reflection service (`grpc.reflection.v1`, or `v1alpha` when the server
//! has only that one, as k6 falls back): every service listed, the file
//! defining it and, file by file, whatever those import.

use std::collections::BTreeMap;

use prost::Message;
use prost_reflect::DescriptorPool;
use prost_types::FileDescriptorProto;
use tonic::metadata::MetadataMap;
use tonic::transport::Channel;

use super::descriptors::pool_from_protos;

/// The most files one reflection walk fetches (a server sending ever
/// new dependencies must not keep a VU forever).
const MAX_FILES: usize = 10_000;

/// What one reflection request asks.
enum Ask {
    Services,
    Symbol(String),
    File(String),
}

/// What the server answered to one request.
enum Answer {
    Services(Vec<String>),
    Files(Vec<Vec<u8>>),
    Error(String),
}

macro_rules! ask_fn {
    ($name:ident, $pb:path) => {
        /// One reflection request, in its own call.
        async fn $name(
            channel: Channel,
            metadata: MetadataMap,
            ask: &Ask,
        ) -> Result<Answer, tonic::Status> {
            use pb::server_reflection_client::ServerReflectionClient;
            use pb::server_reflection_request::MessageRequest;
            use pb::server_reflection_response::MessageResponse;
            use $pb as pb;
            let message_request = match ask {
                Ask::Services => MessageRequest::ListServices(String::new()),
                Ask::Symbol(symbol) => MessageRequest::FileContainingSymbol(symbol.clone()),
                Ask::File(file) => MessageRequest::FileByFilename(file.clone()),
            };
            let request = pb::ServerReflectionRequest {
                host: String::new(),
                message_request: Some(message_request),
            };
            let mut request = tonic::Request::new(tokio_stream::once(request));
            *request.metadata_mut() = metadata;
            let mut client = ServerReflectionClient::new(channel);
            let mut responses = client.server_reflection_info(request).await?.into_inner();
            let Some(response) = responses.message().await? else {
                return Err(tonic::Status::unknown("the reflection server sent nothing"));
            };
            Ok(match response.message_response {
                Some(MessageResponse::ListServicesResponse(list)) => {
                    Answer::Services(list.service.into_iter().map(|s| s.name).collect())
                }
                Some(MessageResponse::FileDescriptorResponse(files)) => {
                    Answer::Files(files.file_descriptor_proto)
                }
                Some(MessageResponse::ErrorResponse(error)) => Answer::Error(error.error_message),
                _ => Answer::Error("unexpected reflection response".to_owned()),
            })
        }
    };
}

ask_fn!(ask_v1, tonic_reflection::pb::v1);
ask_fn!(ask_v1alpha, tonic_reflection::pb::v1alpha);

/// The descriptors of every service the server lists.
pub(super) async fn reflect(
    channel: Channel,
    metadata: MetadataMap,
) -> Result<DescriptorPool, String> {
    let mut alpha = false;
    let ask = |ask: Ask, alpha: bool| {
        let (channel, metadata) = (channel.clone(), metadata.clone());
        async move {
            if alpha {
                ask_v1alpha(channel, metadata, &ask).await
            } else {
                ask_v1(channel, metadata, &ask).await
            }
        }
    };
    let services = match ask(Ask::Services, false).await {
        Ok(answer) => answer,
        Err(status) if status.code() == tonic::Code::Unimplemented => {
            alpha = true;
            ask(Ask::Services, true).await.map_err(|s| failed(&s))?
        }
        Err(status) => return Err(failed(&status)),
    };
    let services = match services {
        Answer::Services(names) => names,
        Answer::Error(message) => return Err(format!("can't list services: {message}")),
        Answer::Files(_) => return Err("can't list services: unexpected answer".to_owned()),
    };
    let mut files: BTreeMap<String, FileDescriptorProto> = BTreeMap::new();
    let add = |answer: Answer, files: &mut BTreeMap<String, FileDescriptorProto>| match answer {
        Answer::Files(encoded) => {
            for bytes in encoded {
                let file = FileDescriptorProto::decode(bytes.as_slice())
                    .map_err(|e| format!("can't decode a file descriptor: {e}"))?;
                files.insert(file.name().to_owned(), file);
            }
            Ok(())
        }
        Answer::Error(message) => Err(format!("can't get method on service: {message}")),
        Answer::Services(_) => Err("unexpected reflection answer".to_owned()),
    };
    for service in services
        .iter()
        .filter(|s| !s.starts_with("grpc.reflection."))
    {
        let answer = ask(Ask::Symbol(service.clone()), alpha)
            .await
            .map_err(|s| failed(&s))?;
        add(answer, &mut files)?;
    }
    // The imports the server did not send along.
    loop {
        let missing: Vec<String> = files
            .values()
            .flat_map(|f| f.dependency.iter())
            .filter(|dep| !files.contains_key(*dep))
            .cloned()
            .collect();
        let Some(dep) = missing.into_iter().next() else {
            break;
        };
        if files.len() >= MAX_FILES {
            return Err("the reflection server sent too many files".to_owned());
        }
        let answer = ask(Ask::File(dep.clone()), alpha)
            .await
            .map_err(|s| failed(&s))?;
        let before = files.len();
        add(answer, &mut files)?;
        if files.len() == before || !files.contains_key(&dep) {
            return Err(format!("the reflection server has no file {dep}"));
        }
    }
    pool_from_protos(files.into_values().collect())
}

fn failed(status: &tonic::Status) -> String {
    format!(
        "rpc error: code = {} desc = {}",
        super::status::name(status.code() as i32),
        status.message()
    )
}
