//! `mprefund sandbox` on the command line: its flags (faults, latency, the
//! payments file), the help that lists the admin routes and the magic ids,
//! and serving until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use crate::conn::{ConnTag, CutListener};
use crate::{BadArgs, Faults, SandboxConfig, build_app, routes, state};

/// `mprefund sandbox`: serve the sandbox until Ctrl-C.
#[derive(clap::Args, Debug, Clone)]
#[command(after_long_help = help_text(), after_help = help_text())]
pub struct SandboxArgs {
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Fixed latency added to every API request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Extra uniform random latency, 0..MS, on top of --latency-ms.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter_ms: u64,
    /// Share (0..1) of API requests answered 500 before anything is committed.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = parse_share)]
    pub error_500: f64,
    /// Share (0..1) of API requests answered 429 (with Retry-After) before commit.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = parse_share)]
    pub error_429: f64,
    /// The Retry-After seconds sent with injected 429s.
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub retry_after: u64,
    /// Share (0..1) of refund creations whose connection is cut after the commit.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = parse_share)]
    pub cut_after_commit: f64,
    /// Share (0..1) of refund creations answered with an HTML 502 after the commit.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = parse_share)]
    pub html_502_after_commit: f64,
    /// Seed for every random draw (latency jitter, fault shares), for reproducible runs.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Render every error with string-typed `status` and `cause[].code` (as advanced payments do).
    #[arg(long)]
    pub string_codes: bool,
    /// JSON array of payments to declare: {"id", "amount", "currency", "status", "date_approved", "kind"}.
    #[arg(long, value_name = "FILE")]
    pub payments: Option<PathBuf>,
    /// In-process refunds settle (become approved) this long after creation, as
    /// Mercado Pago's would; without it they wait for `POST /__sandbox/settle`.
    #[arg(long, value_name = "SECS")]
    pub settle_after: Option<u64>,
    /// The account's limit, as Mercado Pago applies one: at most N API requests per
    /// token in any one second (sliding); past it, 429 with Retry-After.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Seconds a settlement or release report asked for takes to appear in its list.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub report_delay: u64,
    /// Share (0..1) of API requests that take --slow-ms more before they are
    /// decided (a refund still commits, whether or not its client waited).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = parse_share)]
    pub slow: f64,
    /// The extra time of a --slow request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub slow_ms: u64,
}

fn parse_share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not a share between 0 and 1"))
    }
}

/// Every `/__sandbox` admin route (method and path, as routed) and what it does:
/// the `--help` lists them all, and a test holds the router to this table.
pub(crate) const ADMIN_ROUTES: &[(&str, &str)] = &[
    (
        "GET /__sandbox/refunds",
        "every refund, with its idempotency key",
    ),
    ("GET /__sandbox/stats", "request counters"),
    ("DELETE /__sandbox/stats", "reset the counters"),
    (
        "POST /__sandbox/payments",
        r#"declare payments: {"id", "amount", "currency", "status", "date_approved", "kind"} or an array"#,
    ),
    ("GET /__sandbox/faults", "the faults in force"),
    (
        "POST /__sandbox/faults",
        "change the faults named (see below)",
    ),
    ("DELETE /__sandbox/faults", "clear every fault"),
    (
        "POST /__sandbox/fail/{payment_id}",
        r#"that payment's refund POSTs answer 500, or {"status": N}"#,
    ),
    ("DELETE /__sandbox/fail/{payment_id}", "heal it"),
    (
        "POST /__sandbox/settle",
        "in_process refunds become approved",
    ),
    (
        "POST /__sandbox/manual_refund/{payment_id}",
        r#"a refund by hand, no key: {"amount": 5}, or no body for the rest"#,
    ),
    (
        "POST /__sandbox/refunds/{refund_id}",
        r#"change a refund: {"status": "rejected"|"cancelled"|"approved"}, {"amount": 7}"#,
    ),
    (
        "GET /__sandbox/order_refunds",
        "every order refund, with its idempotency key",
    ),
    (
        "POST /__sandbox/orders",
        r#"declare orders: {"id", "amount", "currency", "status", "created_date", "transactions", "chargeback", "tips", "cashout"} or an array"#,
    ),
    (
        "POST /__sandbox/manual_order_refund/{order_id}",
        r#"an order refund by hand, no key: {"amount": "5", "transaction_id"}, or no body for the rest"#,
    ),
    (
        "POST /__sandbox/order_refunds/{refund_id}",
        r#"change an order refund: {"status": "failed"|"processed"|"processing"}"#,
    ),
    (
        "POST /__sandbox/reports",
        r#"{"lie": true}: reports disagree with the book; {"throttle_lists": N}: N lists answer 429"#,
    ),
];

/// The `--help` epilogue: the magic ids and the admin endpoints.
fn help_text() -> String {
    let mut s = String::from(
        "Payments: ids ending 000-899 are approved BRL payments of 100.00, approved today.\n\
         Ids ending 900-999 are magic:\n",
    );
    for (suffix, magic) in state::Magic::ALL {
        let (payment, answer) = magic.describe();
        s.push_str(&format!("  {suffix}  {payment:<28} {answer}\n"));
    }
    s.push_str(
        "\nAny payment: amount <= 0 -> 4040; not a number -> 4041; too many decimals -> 4042;\n\
         past the remaining balance -> 4043; fully refunded -> 2063; no X-Idempotency-Key -> 400/4292;\n\
         bad token -> 401; same key, other request -> 409; same key in flight -> 423.\n",
    );
    s.push_str(
        "\nOrders (/v1/orders, ids ORD + 26 letters and digits): an ordinary order is a processed\n\
         BRL order of 100.00 in one payment transaction (PAY…), made today. Ids ending 900-999:\n",
    );
    for (suffix, magic) in state::OrderMagic::ALL {
        let (order, answer) = magic.describe();
        s.push_str(&format!("  {suffix}  {order:<34} {answer}\n"));
    }
    s.push_str(
        "Any order: no X-Idempotency-Key -> 400 empty_required_header; a key over 128 characters ->\n\
         400 invalid_idempotency_key_length; not ORD + 26 -> 400 invalid_path_param; another\n\
         transaction -> 404 transaction_not_found; past what is left -> 400 refund_amount_exceeds;\n\
         nothing left -> 409 order_already_refunded; same key, other request -> 409\n\
         idempotency_key_already_used; same key in flight -> 423 resource_locked.\n",
    );
    s.push_str("\nAdmin routes (not counted in stats; bodies are JSON):\n");
    for (route, what) in ADMIN_ROUTES {
        s.push_str(&format!("  {route:<44} {what}\n"));
    }
    s.push_str(
        "\nPOST /__sandbox/faults changes only the fields it names and keeps the others:\n  \
         {\"latency_ms\": 0, \"jitter_ms\": 0, \"error_500\": 0.0, \"error_429\": 0.0,\n  \
         \"retry_after_secs\": 0, \"cut_after_commit\": 0.0, \"html_502_after_commit\": 0.0,\n  \
         \"seed\": null, \"slow\": 0.0, \"slow_ms\": 0}\n\
         Shares are probabilities from 0 to 1 (500s and 429s come before the refund is made;\n\
         cut and HTML 502 after it); retry_after_secs is the injected 429s' Retry-After;\n\
         naming a seed restarts the random draws.",
    );
    s
}

/// The magic-id table as Markdown (the README's and this module's copy).
pub fn magic_ids_markdown() -> String {
    let mut s =
        String::from("| id ends in | payment | refund POST answers |\n| --- | --- | --- |\n");
    for (suffix, magic) in state::Magic::ALL {
        let (payment, answer) = magic.describe();
        s.push_str(&format!("| {suffix} | {payment} | {answer} |\n"));
    }
    s
}

/// The magic order table as Markdown (the README's and this module's copy).
pub fn magic_orders_markdown() -> String {
    let mut s =
        String::from("| order id ends in | order | refund POST answers |\n| --- | --- | --- |\n");
    for (suffix, magic) in state::OrderMagic::ALL {
        let (order, answer) = magic.describe();
        s.push_str(&format!("| {suffix} | {order} | {answer} |\n"));
    }
    s
}

impl SandboxArgs {
    fn to_config(&self) -> anyhow::Result<SandboxConfig> {
        let payments = match &self.payments {
            None => Vec::new(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                serde_json::from_str(&text).map_err(|e| {
                    BadArgs(format!(
                        "{}: not a JSON array of payments: {e}",
                        path.display()
                    ))
                })?
            }
        };
        Ok(SandboxConfig {
            faults: Faults {
                latency: Duration::from_millis(self.latency_ms),
                jitter: Duration::from_millis(self.jitter_ms),
                error_500: self.error_500,
                error_429: self.error_429,
                retry_after_secs: self.retry_after,
                cut_after_commit: self.cut_after_commit,
                html_502_after_commit: self.html_502_after_commit,
                seed: self.seed,
                slow: self.slow,
                slow_delay: Duration::from_millis(self.slow_ms),
            },
            string_codes: self.string_codes,
            payments,
            settle_after: self.settle_after.map(Duration::from_secs),
            rate_limit: self.rate_limit,
            report_delay: Duration::from_secs(self.report_delay),
        })
    }
}

/// Serves the sandbox on `host:port` until Ctrl-C.
pub async fn serve_cli(args: SandboxArgs) -> anyhow::Result<()> {
    let cfg = args.to_config()?;
    let app = build_app(cfg)?;
    // A port in use or a host not of this machine is the user's to fix: exit 2.
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| {
            BadArgs(format!(
                "cannot listen on {}:{}: {e}; pick another --port or --host",
                args.host, args.port
            ))
        })?;
    let listener = CutListener::new(listener, app.open.clone());
    let addr = listener.addr()?;
    eprintln!("listening on http://{addr}");
    axum::serve(
        listener,
        routes::router(app).into_make_service_with_connect_info::<ConnTag>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving the sandbox")
}

/// Ctrl-C, or SIGTERM (how scripts and CI stop a background sandbox). A signal
/// that cannot be installed never fires; the process can still be killed.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_must_be_probabilities() {
        assert_eq!(parse_share("0.25"), Ok(0.25));
        assert!(parse_share("1.01").is_err());
        assert!(parse_share("-0.1").is_err());
        assert!(parse_share("half").is_err());
    }
}
