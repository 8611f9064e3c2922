//! The accept loop: HTTP/1.1 connections served by hyper with a header-read timeout, request
//! bodies with a read deadline, the peer address for every request, and a graceful shutdown
//! that finishes the requests in flight.
//!
//! A client that sends its request head slowly (a slowloris) is disconnected after the
//! header-read timeout; one whose body trickles gets a 408 once the body-read timeout has
//! passed since its request arrived ([`ApiError::BodyTimeout`], the connection closed).
//! Both are `skydd serve --header-timeout` and `--body-timeout`.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::extract::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

/// How long a client may take to send what the server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the first byte of a request (or an idle kept-alive connection) to the end of its
    /// head; the connection is closed after it.
    pub header: Duration,
    /// From the request's head to the end of its body (10 MiB over a slow line must fit).
    pub body: Duration,
}

impl Default for Timeouts {
    /// 10 seconds for the head, 60 for the body.
    fn default() -> Timeouts {
        Timeouts {
            header: Duration::from_secs(10),
            body: Duration::from_secs(60),
        }
    }
}

/// Accept connections on `listener` and serve `router` on each until `shutdown` completes;
/// then stop accepting, let each connection finish the request it is serving, and return
/// when all have closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Closed when shutdown begins: each connection task watches it.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    // Each connection holds a receiver; all dropped means all connections are done.
    let (done_tx, done_rx) = watch::channel(());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = stop_tx.closed() => break,
        };
        let service = Connection {
            router: router.clone(),
            peer,
            body_timeout: timeouts.body,
        };
        let stop = stop_tx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(timeouts.header);
            let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
            let mut stopping = pin!(stop.closed());
            let mut stopped = false;
            loop {
                tokio::select! {
                    served = connection.as_mut() => {
                        if let Err(error) = served {
                            tracing::debug!(%error, "connection ended with an error");
                        }
                        break;
                    }
                    () = &mut stopping, if !stopped => {
                        stopped = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(done);
        });
    }
    drop(listener);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// What to do after `accept` failed: a connection reset before it was accepted is nothing; out
/// of file descriptors or memory waits a moment (logged) rather than spinning.
async fn accept_failed(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; trying again in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One connection's service: the router, with the peer address (axum's `ConnectInfo`) in every
/// request and every body under a read deadline.
#[derive(Clone)]
struct Connection {
    router: Router,
    peer: SocketAddr,
    body_timeout: Duration,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Connection {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = axum::routing::future::RouteFuture<Infallible>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let deadline = Instant::now() + self.body_timeout;
        let mut request: Request = request.map(|body| Body::new(Deadline::new(body, deadline)));
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let mut router = self.router.clone();
        tower_service::Service::call(&mut router, request)
    }
}

/// The request body did not arrive within the body-read timeout; the extractors answer it
/// with [`ApiError::BodyTimeout`](crate::ApiError::BodyTimeout).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive within the body-read timeout")]
pub(crate) struct BodyTimedOut;

/// A request body that fails with [`BodyTimedOut`] once its deadline has passed.
struct Deadline {
    inner: Incoming,
    sleep: Pin<Box<Sleep>>,
}

impl Deadline {
    fn new(inner: Incoming, deadline: Instant) -> Deadline {
        Deadline {
            inner,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
