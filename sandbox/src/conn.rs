//! Connections that a handler can cut. The listener wraps every accepted socket
//! with a shared "cut" flag and hands the same flag to handlers through
//! `ConnectInfo<ConnTag>`; once a handler sets it, every write on that socket fails,
//! so hyper drops the connection before a single byte of the response leaves. The
//! client therefore sees a transport error (the connection closed before the
//! message completed), never a status line — which is what "the refund was
//! committed, then the network failed" looks like from outside.
//!
//! The listener also counts the connections open: a request a client wrote and
//! then died on may sit unread in its socket, where no count of requests
//! received can see it — a test that must know the sandbox is done waits for
//! the connections to close.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

pub(crate) struct CutListener {
    inner: TcpListener,
    open: Arc<AtomicUsize>,
}

/// Identifies a connection to its handlers, and lets them cut it.
#[derive(Clone, Debug)]
pub(crate) struct ConnTag {
    cut: Arc<AtomicBool>,
}

impl ConnTag {
    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::Release);
    }
}

pub(crate) struct CutStream {
    inner: TcpStream,
    cut: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
}

impl Drop for CutStream {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Listener for CutListener {
    type Io = CutStream;
    type Addr = ConnTag;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((inner, _)) => {
                    self.open.fetch_add(1, Ordering::SeqCst);
                    // Small JSON answers must not wait for Nagle.
                    let _ = inner.set_nodelay(true);
                    let cut = Arc::new(AtomicBool::new(false));
                    let tag = ConnTag { cut: cut.clone() };
                    let open = self.open.clone();
                    return (CutStream { inner, cut, open }, tag);
                }
                // Running out of descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        // Only the tag type is needed here; a fresh, uncut flag is harmless.
        self.inner.local_addr().map(|_| ConnTag {
            cut: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl CutListener {
    /// Wraps `inner`, counting its connections open in `open`.
    pub(crate) fn new(inner: TcpListener, open: Arc<AtomicUsize>) -> Self {
        Self { inner, open }
    }

    pub(crate) fn addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl Connected<IncomingStream<'_, CutListener>> for ConnTag {
    fn connect_info(stream: IncomingStream<'_, CutListener>) -> Self {
        stream.remote_addr().clone()
    }
}

impl CutStream {
    fn check(&self) -> io::Result<()> {
        if self.cut.load(Ordering::Acquire) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "sandbox: connection cut after commit",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for CutStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CutStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
