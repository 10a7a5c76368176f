//! `GET /ws/room`: a WebSocket chat room. Every text or binary message a
//! socket sends goes to every socket in the room, the sender included, as
//! the QuickPizza demo's `/ws` does (k6's `examples/experimental/ws.js`
//! talks to that one).
//!
//! The room holds the last [`BACKLOG`] messages for sockets that read
//! slowly; a socket that falls further behind skips what it missed.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use tokio::sync::broadcast;

/// Messages kept for a socket that reads slower than the room talks.
pub const BACKLOG: usize = 1024;

/// The largest message the room takes (bytes).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// The room: one channel every socket in it sends to and reads from.
#[derive(Clone, Debug)]
pub struct Room(broadcast::Sender<Message>);

impl Default for Room {
    fn default() -> Room {
        Room(broadcast::channel(BACKLOG).0)
    }
}

/// Upgrades and joins the room.
pub async fn join(State(room): State<Room>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| talk(socket, room))
}

async fn talk(mut socket: WebSocket, room: Room) {
    let mut heard = room.0.subscribe();
    loop {
        tokio::select! {
            said = socket.recv() => match said {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    // No receiver is not an error: this socket is one.
                    let _ = room.0.send(message);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            next = heard.recv() => match next {
                Ok(message) => {
                    if socket.send(message).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_message_reaches_every_socket_and_the_sender() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = tokio_util::sync::CancellationToken::new();
        let server = tokio::spawn(crate::serve(listener, shutdown.clone()));
        let url = format!("ws://{addr}/ws/room");
        let connect = || async {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tokio_tungstenite::client_async(url.as_str(), tcp)
                .await
                .unwrap()
                .0
        };
        let mut a = connect().await;
        let mut b = connect().await;
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message as Frame;
        // Both sockets are in the room once one hears its own message.
        a.send(Frame::text("hello")).await.unwrap();
        assert_eq!(a.next().await.unwrap().unwrap(), Frame::text("hello"));
        b.send(Frame::text("from b")).await.unwrap();
        let mut heard_by_a = Vec::new();
        while heard_by_a.last() != Some(&Frame::text("from b")) {
            heard_by_a.push(a.next().await.unwrap().unwrap());
        }
        assert_eq!(heard_by_a, [Frame::text("from b")]);
        // b may or may not have joined before "hello"; it hears itself.
        let mut heard_by_b = Vec::new();
        while heard_by_b.last() != Some(&Frame::text("from b")) {
            heard_by_b.push(b.next().await.unwrap().unwrap());
        }
        assert!(heard_by_b.len() <= 2, "{heard_by_b:?}");
        drop((a, b));
        shutdown.cancel();
        server.await.unwrap().unwrap();
    }
}
