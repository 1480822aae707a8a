//! The HTTP client beneath every request the tool makes, to Mercado Pago and
//! to a webhook: hyper-util's pooled client over rustls (ring, the webpki
//! roots, HTTP/2 or HTTP/1.1 as ALPN settles), through the proxy the
//! environment names for HTTPS (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) by
//! `CONNECT`. It sends one request and reads its answer; what to make of it
//! is the caller's.
//!
//! Invariants: one deadline covers the whole exchange, connecting, the
//! request and every byte of the answer; connecting alone has its own,
//! shorter one. No redirect is followed and no request is sent twice, except
//! the one case where no byte of it left: a pooled connection found closed
//! before the request was written on it. An error says whether it came while
//! connecting (no byte of the request left), and carries its source chain for
//! `network` to read causes from. Plain `http://` never goes through a proxy:
//! it is only ever sent to this machine (see `client::check_api_base`).

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::http::{HeaderMap, Request, Uri};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tower_service::Service;

type BoxError = Box<dyn StdError + Send + Sync>;

/// A request's body: the whole of it, in memory (a refund's is a few bytes).
pub(crate) type Sent = Full<Bytes>;

/// How long to wait, and how many idle connections to keep.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// To connect: TCP, the proxy's tunnel, and the TLS handshake.
    pub connect: Duration,
    /// The whole exchange, connecting included, to the answer's last byte.
    pub exchange: Duration,
    /// Idle connections kept per host, for the next requests.
    pub idle_per_host: usize,
}

/// A pooled HTTP client; cloning it shares the pool.
#[derive(Clone)]
pub(crate) struct Http {
    client: Client<Connector, Sent>,
    exchange: Duration,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl Http {
    /// A client that goes through the proxies the environment names.
    pub(crate) fn new(limits: Limits) -> anyhow::Result<Http> {
        Http::with(limits, Matcher::from_env(), roots())
    }

    /// A client through `proxies`, trusting `roots`.
    pub(crate) fn with(
        limits: Limits,
        proxies: Matcher,
        roots: rustls::RootCertStore,
    ) -> anyhow::Result<Http> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut tcp = HttpConnector::new();
        // The scheme is the TLS layer's to enforce, above.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_keepalive(Some(Duration::from_secs(15)));
        tcp.set_keepalive_interval(Some(Duration::from_secs(15)));
        tcp.set_keepalive_retries(Some(3));
        // A proxy is spoken to in HTTP/1.1 (CONNECT), over TLS when its URL
        // says https.
        let to_proxy = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp.clone());
        let route = Route {
            tcp,
            to_proxy,
            proxies: Arc::new(proxies),
        };
        let tls = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(route);
        let connector = Connector(Arc::new(Dialer {
            tls,
            timeout: limits.connect,
        }));
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(limits.idle_per_host)
            .build(connector);
        Ok(Http {
            client,
            exchange: limits.exchange,
        })
    }

    /// Sends `req` and waits for the answer's head; its body is read from
    /// the [`Response`] within the same deadline.
    pub(crate) async fn send(&self, req: Request<Sent>) -> Result<Response, TransportError> {
        let deadline = Instant::now() + self.exchange;
        // Shares the request's bytes: its host is spelled only for an error.
        let uri = req.uri().clone();
        match tokio::time::timeout_at(deadline, self.client.request(req)).await {
            Err(_) => Err(TransportError::timed_out(host_of(&uri))),
            Ok(Err(e)) => Err(TransportError {
                kind: if e.is_connect() {
                    Kind::Connect
                } else {
                    Kind::Request
                },
                host: host_of(&uri),
                source: Some(Box::new(e)),
            }),
            Ok(Ok(resp)) => {
                let (head, body) = resp.into_parts();
                Ok(Response {
                    status: head.status.as_u16(),
                    headers: head.headers,
                    body,
                    deadline,
                })
            }
        }
    }
}

/// The webpki roots: the same trust on every machine, whatever its own store.
fn roots() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// `host:port` of `uri`, the port said even when it is the scheme's own.
fn host_of(uri: &Uri) -> String {
    let host = uri.host().unwrap_or("?");
    let port = uri.port_u16().or(match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    });
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// An answer whose head has come; its body comes by [`Response::chunk`].
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    body: Incoming,
    deadline: Instant,
}

impl Response {
    /// The body's length, when the answer says it.
    pub(crate) fn content_length(&self) -> Option<u64> {
        self.body.size_hint().exact()
    }

    /// The body's next bytes; `None` once it is whole.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        loop {
            let frame = match tokio::time::timeout_at(self.deadline, self.body.frame()).await {
                Err(_) => return Err(TransportError::timed_out(String::new())),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => {
                    return Err(TransportError {
                        kind: Kind::Body,
                        host: String::new(),
                        source: Some(Box::new(e)),
                    });
                }
                Ok(Some(Ok(frame))) => frame,
            };
            // Trailers carry nothing read here.
            if let Ok(data) = frame.into_data() {
                return Ok(Some(data));
            }
        }
    }
}

/// Where a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// While connecting: no byte of the request left.
    Connect,
    /// After connecting, before the answer's head.
    Request,
    /// While its body was read.
    Body,
    /// The deadline passed.
    Timeout,
}

/// Why a request got no answer, or not the whole of one.
#[derive(Debug)]
pub(crate) struct TransportError {
    kind: Kind,
    /// `host:port` asked (empty once the answer began: it is known then).
    host: String,
    source: Option<BoxError>,
}

impl TransportError {
    fn timed_out(host: String) -> TransportError {
        TransportError {
            kind: Kind::Timeout,
            host,
            source: None,
        }
    }

    /// It failed while connecting: no byte of the request left.
    pub(crate) fn is_connect(&self) -> bool {
        self.kind == Kind::Connect
    }

    pub(crate) fn is_timeout(&self) -> bool {
        self.kind == Kind::Timeout
    }

    /// `host:port` of the request.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// What happened, in a few words, then every link of the chain.
    pub(crate) fn reason(&self) -> String {
        let what = match self.kind {
            Kind::Timeout => "timed out",
            Kind::Connect => "could not connect",
            Kind::Body => "connection cut while reading the answer",
            Kind::Request => "connection failed",
        };
        let mut msg = what.to_owned();
        let mut src = self.source();
        while let Some(s) = src {
            msg.push_str(&format!(": {s}"));
            src = s.source();
        }
        msg
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

type Connecting<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// The TLS layer (for https) over a route, within the connect deadline. Shared:
/// the pooled client clones its connector for every request, connection
/// needed or not, and one count of a shared one is what that costs.
#[derive(Clone)]
struct Connector(Arc<Dialer>);

struct Dialer {
    tls: HttpsConnector<Route>,
    timeout: Duration,
}

impl Service<Uri> for Connector {
    type Response = MaybeHttpsStream<MaybeHttpsStream<TokioIo<TcpStream>>>;
    type Error = BoxError;
    type Future = Connecting<Self::Response>;

    /// Always ready: the readiness that counts is the connector's own, waited
    /// for in [`Connector::call`] on the copy that connects.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut tls = self.0.tls.clone();
        let timeout = self.0.timeout;
        Box::pin(async move {
            let connecting = async move {
                std::future::poll_fn(|cx| tls.poll_ready(cx)).await?;
                tls.call(dst).await
            };
            match tokio::time::timeout(timeout, connecting).await {
                Ok(conn) => conn,
                Err(_) => Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connecting took longer than {timeout:?}"),
                )
                .into()),
            }
        })
    }
}

/// The way to a host: straight, or through the tunnel of the proxy the
/// environment names for it. The stream is the host's; TLS to the host, when
/// asked, is the layer above's.
#[derive(Clone)]
struct Route {
    tcp: HttpConnector,
    to_proxy: HttpsConnector<HttpConnector>,
    proxies: Arc<Matcher>,
}

impl Service<Uri> for Route {
    type Response = MaybeHttpsStream<TokioIo<TcpStream>>;
    type Error = BoxError;
    type Future = Connecting<Self::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let proxy = match dst.scheme_str() {
            Some("https") => self.proxies.intercept(&dst),
            _ => None,
        };
        let Some(proxy) = proxy else {
            let mut tcp = self.tcp.clone();
            return Box::pin(async move {
                std::future::poll_fn(|cx| tcp.poll_ready(cx)).await?;
                Ok(MaybeHttpsStream::Http(tcp.call(dst).await?))
            });
        };
        let uri = proxy.uri().clone();
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            // A SOCKS proxy, say: said plainly rather than ignored.
            let scheme = uri.scheme_str().unwrap_or("").to_owned();
            return Box::pin(async move {
                Err(format!(
                    "the proxy the environment names is {scheme}://, not http:// or https://"
                )
                .into())
            });
        }
        let mut tunnel = Tunnel::new(uri, self.to_proxy.clone());
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        Box::pin(async move {
            std::future::poll_fn(|cx| tunnel.poll_ready(cx)).await?;
            Ok(tunnel.call(dst).await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::http::Method;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::Mutex;

    fn limits() -> Limits {
        Limits {
            connect: Duration::from_secs(10),
            exchange: Duration::from_secs(10),
            idle_per_host: 4,
        }
    }

    fn get(uri: &str) -> Request<Sent> {
        Request::builder()
            .method(Method::GET)
            .uri(uri)
            .body(Sent::default())
            .unwrap()
    }

    /// An HTTPS server on 127.0.0.1:0 for `localhost`, with its own
    /// certificate: the roots that trust it, and its port. It answers every
    /// request `200 "h2"` or `200 "http/1.1"`, the protocol it was asked in.
    async fn https_server() -> (rustls::RootCertStore, u16) {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.cert.der().clone()).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.cert.der().clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let serve = hyper::service::service_fn(|req: Request<Incoming>| async move {
                        let v = format!("{:?}", req.version());
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from(v),
                        )))
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), serve)
                        .await;
                });
            }
        });
        (roots, port)
    }

    /// A CONNECT proxy on 127.0.0.1:0 that tunnels every request to
    /// 127.0.0.1:`to`, whatever host it names, and keeps each request's head.
    fn proxy(to: u16) -> (u16, Arc<Mutex<Vec<String>>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let kept = heads.clone();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut client) = s else { return };
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    kept.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let mut server = std::net::TcpStream::connect(("127.0.0.1", to)).unwrap();
                    client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .unwrap();
                    let (mut c2, mut s2) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
                    let _ = std::io::copy(&mut client, &mut server);
                });
            }
        });
        (port, heads)
    }

    /// The protocol the server at `https://localhost:port` says it was
    /// asked in, through `http`.
    async fn protocol_at(http: &Http, port: u16) -> String {
        let mut a = http
            .send(get(&format!("https://localhost:{port}/x")))
            .await
            .unwrap();
        assert_eq!(a.status, 200);
        let mut all = Vec::new();
        while let Some(c) = a.chunk().await.unwrap() {
            all.extend_from_slice(&c);
        }
        String::from_utf8(all).unwrap()
    }

    #[tokio::test]
    async fn https_speaks_h2_when_the_server_does() {
        let (roots, port) = https_server().await;
        let http = Http::with(limits(), Matcher::builder().build(), roots).unwrap();
        assert_eq!(protocol_at(&http, port).await, "HTTP/2.0");
    }

    #[tokio::test]
    async fn https_goes_through_the_proxy_named_with_its_credentials() {
        let (roots, port) = https_server().await;
        let (proxy_port, heads) = proxy(port);
        let proxies = Matcher::builder()
            .https(format!("http://ann:s3cret@127.0.0.1:{proxy_port}"))
            .build();
        let http = Http::with(limits(), proxies, roots).unwrap();
        assert_eq!(protocol_at(&http, port).await, "HTTP/2.0");
        let heads = heads.lock().unwrap().clone();
        assert_eq!(heads.len(), 1, "{heads:?}");
        assert!(
            heads[0].starts_with(&format!("CONNECT localhost:{port} HTTP/1.1\r\n")),
            "{heads:?}"
        );
        // ann:s3cret, as Basic credentials.
        assert!(
            heads[0].contains("Proxy-Authorization: Basic YW5uOnMzY3JldA==\r\n"),
            "{heads:?}"
        );
    }

    #[tokio::test]
    async fn no_proxy_and_plain_http_go_straight() {
        let (roots, port) = https_server().await;
        let (proxy_port, heads) = proxy(port);
        let proxies = Matcher::builder()
            .all(format!("http://127.0.0.1:{proxy_port}"))
            .no("localhost")
            .build();
        let http = Http::with(limits(), proxies, roots).unwrap();
        assert_eq!(protocol_at(&http, port).await, "HTTP/2.0");
        // Plain http to this machine, with ALL_PROXY and no NO_PROXY: straight
        // to it (refused here: nothing listens), never to the proxy.
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let proxies = Matcher::builder()
            .all(format!("http://127.0.0.1:{proxy_port}"))
            .build();
        let http = Http::with(limits(), proxies, rustls::RootCertStore::empty()).unwrap();
        let e = http
            .send(get(&format!("http://127.0.0.1:{closed_port}/x")))
            .await
            .unwrap_err();
        assert!(e.is_connect(), "{e}");
        assert_eq!(e.host(), format!("127.0.0.1:{closed_port}"));
        assert!(heads.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_certificate_not_trusted_fails_while_connecting() {
        let (_, port) = https_server().await;
        let http = Http::with(limits(), Matcher::builder().build(), roots()).unwrap();
        let e = http
            .send(get(&format!("https://localhost:{port}/x")))
            .await
            .unwrap_err();
        assert!(e.is_connect(), "{e}");
        let mut src = e.source();
        let mut tls = false;
        while let Some(s) = src {
            tls |= s.to_string().contains("certificate");
            src = s.source();
        }
        assert!(tls, "{}", e.reason());
        let fault = crate::api::network::fault_of(&e).unwrap();
        assert_eq!(fault.cause, crate::domain::NetCause::Tls);
        assert_eq!(fault.host, format!("localhost:{port}"));
        assert!(fault.connecting);
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out_within_the_deadline() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let http = Http::with(
            Limits {
                exchange: Duration::from_millis(300),
                ..limits()
            },
            Matcher::builder().build(),
            roots(),
        )
        .unwrap();
        let e = http
            .send(get(&format!("http://127.0.0.1:{port}/x")))
            .await
            .unwrap_err();
        assert!(e.is_timeout() && !e.is_connect(), "{e}");
        assert_eq!(e.host(), format!("127.0.0.1:{port}"));
        drop(l);
    }
}
