//! How the fake trackers serve: [`FakeServer`] binds `127.0.0.1:0` and runs an axum app
//! on its own thread with its own current-thread tokio runtime (so the fakes work from
//! plain `#[test]`s too), and shuts it down when dropped.
//!
//! Connections go through [`KillableListener`], so a handler can cut one: after
//! [`ConnHandle::kill`], every later write on that connection fails and hyper drops it
//! without sending the response. This is how the fakes play "the server did the work,
//! then the connection died" — the ambiguous failure that makes creates dangerous.
//! Handlers take `ConnectInfo(conn): ConnectInfo<ConnHandle>`.
#![allow(dead_code)]

use std::future::IntoFuture;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A fake tracker's server; dropping it stops the server and joins its thread.
pub struct FakeServer {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// A listener on `127.0.0.1` with a free port, and the port (the fake needs it to
    /// build its URLs before it builds its app).
    pub fn bind() -> (std::net::TcpListener, u16) {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("fake server: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("fake server: set_nonblocking");
        let port = listener
            .local_addr()
            .expect("fake server: local_addr")
            .port();
        (listener, port)
    }

    /// Serves `app` on `listener` from a thread called `name`.
    pub fn serve(name: &str, listener: std::net::TcpListener, app: Router) -> FakeServer {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake server: tokio runtime");
                rt.block_on(async move {
                    let inner = tokio::net::TcpListener::from_std(listener)
                        .expect("fake server: tokio listener");
                    let server = axum::serve(
                        KillableListener::new(inner),
                        app.into_make_service_with_connect_info::<ConnHandle>(),
                    )
                    .into_future();
                    tokio::select! {
                        _ = server => {}
                        _ = rx => {}
                    }
                });
                rt.shutdown_background();
            })
            .expect("fake server: spawn server thread");
        FakeServer {
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub struct KillableListener {
    inner: tokio::net::TcpListener,
}

impl KillableListener {
    pub fn new(inner: tokio::net::TcpListener) -> Self {
        Self { inner }
    }
}

/// Per-connection handle given to handlers as connect info.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    kill: Arc<AtomicBool>,
}

impl ConnHandle {
    /// Makes every later read and write of this connection fail: the response in flight
    /// is never delivered.
    pub fn kill(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }
}

pub struct KillableStream {
    inner: tokio::net::TcpStream,
    kill: Arc<AtomicBool>,
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = ConnHandle;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    let handle = ConnHandle {
                        kill: Arc::clone(&kill),
                    };
                    return (
                        KillableStream {
                            inner: stream,
                            kill,
                        },
                        handle,
                    );
                }
                Err(_) => tokio::task::yield_now().await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr().map(|_| ConnHandle {
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

impl KillableStream {
    fn killed(&self) -> bool {
        self.kill.load(Ordering::SeqCst)
    }
}

fn killed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "fake tracker: connection dropped on purpose",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
