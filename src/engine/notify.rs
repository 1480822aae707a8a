//! Notifications: a line of text POSTed as JSON (`{"text": "..."}`, what
//! Slack's, Microsoft Teams' and Google Chat's incoming webhooks accept) to
//! `notify_url` when a person should know: a console batch waits for its
//! approver, was approved or rejected, a batch finished with failed or
//! in-doubt rows (`run`, `retry`), a read-back found what Mercado Pago
//! disagrees with (`reconcile`), a command stopped early or needs a person
//! (exit 2 or more) — with the command each batch asks to run next.
//!
//! Invariants: a notification never blocks money nor changes an exit — it is
//! sent in the background, retried a few times, and a failure is only logged;
//! the URL is https, or http to loopback only (a webhook URL is a secret: never
//! in clear over the network); the access token is never in a message, and a
//! URL holding it is refused; a message names batches, counts and exits,
//! never a payment's figures.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::Usage;

/// Attempts per notification, and the wait before each retry.
const RETRY_WAITS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(4),
    Duration::from_secs(15),
];
/// Per attempt.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where notifications go.
#[derive(Debug, Clone)]
pub(crate) struct Notifier {
    url: url::Url,
    /// Follows no redirect: the webhook's URL is the one place it goes.
    client: crate::api::transport::Http,
}

/// Checks a `notify_url`: https, or http to a loopback host only.
pub(crate) fn check_url(text: &str) -> Result<url::Url, Usage> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| Usage(format!("notify_url {text:?}: not a URL: {e}")))?;
    let loopback = url.host_str().is_some_and(|h| {
        h.eq_ignore_ascii_case("localhost")
            || h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(Usage(
            "notify_url must be an https:// URL (plain http:// only to this machine: \
             127.0.0.1, ::1, localhost): a webhook URL is a secret"
                .into(),
        )),
    }
}

impl Notifier {
    /// From `notify_url` (none: no notifications); `token`: the access token,
    /// which the URL must not hold.
    pub(crate) fn new(
        url: Option<&str>,
        token: Option<&crate::api::client::Token>,
    ) -> Result<Option<Notifier>, Usage> {
        let Some(text) = url else { return Ok(None) };
        let url = check_url(text)?;
        let holds = |t: &crate::api::client::Token| {
            matches!(
                t.redact(url.as_str().as_bytes()),
                std::borrow::Cow::Owned(_)
            )
        };
        if token.is_some_and(holds) {
            return Err(Usage(
                "notify_url holds the access token: never put it there".into(),
            ));
        }
        let client = crate::api::transport::Http::new(crate::api::transport::Limits {
            connect: ATTEMPT_TIMEOUT,
            exchange: ATTEMPT_TIMEOUT,
            idle_per_host: 1,
        })
        .map_err(|e| Usage(format!("notify_url: {e}")))?;
        Ok(Some(Notifier { url, client }))
    }

    /// Posts `text` in the background, retrying; the handle ends when it was
    /// delivered or given up (a command about to exit may wait for it).
    pub(crate) fn send(&self, text: String) -> JoinHandle<()> {
        let (url, client) = (self.url.clone(), self.client.clone());
        tokio::spawn(async move {
            let body = serde_json::json!({ "text": text }).to_string();
            let mut waits = RETRY_WAITS.iter();
            loop {
                let why = match post(&client, &url, &body).await {
                    Ok(status) if (200..300).contains(&status) => return,
                    Ok(status) => format!("answered {status}"),
                    // Without the URL: it is a secret too.
                    Err(why) => why,
                };
                match waits.next() {
                    Some(wait) => {
                        tracing::warn!("notification not delivered ({why}); trying again");
                        tokio::time::sleep(*wait).await;
                    }
                    None => {
                        tracing::warn!("notification not delivered ({why}); given up: {text}");
                        return;
                    }
                }
            }
        })
    }

    /// Posts `text` and waits for it to be delivered or given up, at most
    /// `limit`: a command's last words before it exits.
    pub(crate) async fn send_and_wait(&self, text: String, limit: Duration) {
        let handle = self.send(text);
        if tokio::time::timeout(limit, handle).await.is_err() {
            tracing::warn!("notification still not delivered after {limit:?}: left");
        }
    }
}

/// One attempt: the status answered, or why none was (never the URL).
async fn post(
    client: &crate::api::transport::Http,
    url: &url::Url,
    body: &str,
) -> Result<u16, String> {
    use hyper::http::{Method, Request, header::CONTENT_TYPE};
    let req = Request::builder()
        .method(Method::POST)
        .uri(url.as_str())
        .header(CONTENT_TYPE, "application/json")
        .body(crate::api::transport::Sent::from(body.to_owned()))
        .map_err(|_| "the URL cannot be asked over HTTP".to_owned())?;
    let mut answer = client.send(req).await.map_err(|e| e.reason())?;
    // Read to its end, within the attempt's deadline: the connection is then
    // free for the next notification.
    while let Ok(Some(_)) = answer.chunk().await {}
    Ok(answer.status)
}

/// What a command says in its notification: a line per batch that ended with
/// failed or in-doubt rows, and one for an end a person must see (exit 2 or
/// more). Nothing to say: no notification.
#[derive(Debug, Default)]
pub(crate) struct Tell {
    lines: Vec<String>,
    /// The commands the batches said of ask next: told along when there is
    /// something to tell, never a reason to tell by themselves.
    steps: Vec<String>,
}

impl Tell {
    /// A batch's rows: said when some failed or are in doubt.
    pub(crate) fn rows(
        &mut self,
        batch: &str,
        outcomes: &std::collections::BTreeMap<String, crate::sheets::report::Totals>,
        results: Option<&str>,
    ) {
        let count = |o: &str| outcomes.get(o).map_or(0, |t| t.rows);
        let all: u64 = outcomes.values().map(|t| t.rows).sum();
        let (failed, doubt) = (count("failed"), count("unknown"));
        if failed + doubt == 0 {
            return;
        }
        let to = results
            .map(|r| format!("; results {r}"))
            .unwrap_or_default();
        self.lines.push(format!(
            "batch {batch}: {failed} failed and {doubt} in doubt of {all} row(s){to}"
        ));
    }

    /// How `what` ended: said when a person must see it (exit 2 or more).
    pub(crate) fn ended(&mut self, what: &str, exit: crate::Exit, detail: Option<&str>) {
        use crate::Exit;
        let meaning = match exit {
            Exit::Ok | Exit::SomeFailed => return,
            Exit::Usage => "refused before sending anything (bad input or settings)",
            Exit::Stopped => "stopped early; resumable",
            Exit::Locked => "another run holds the batch",
            Exit::Damaged => "the state file is damaged: a person must look",
            Exit::NeedsPerson => {
                "a person must fix something (the token, permissions, the network's configuration)"
            }
            Exit::EarlierUnfinished => "earlier batches of the job are unfinished",
            Exit::Internal => "an internal error: a person must look",
        };
        let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
        self.lines
            .push(format!("{what}: exit {} — {meaning}{detail}", exit.code()));
    }

    /// A batch read back whose findings disagree with Mercado Pago (rows still
    /// in doubt, refunds rejected since, missing or changed): said when any do.
    pub(crate) fn read_back(&mut self, batch: &str, disagreeing: &[(&str, u64)], file: &str) {
        if disagreeing.is_empty() {
            return;
        }
        let found: Vec<String> = disagreeing
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        self.lines.push(format!(
            "batch {batch}: read back, Mercado Pago disagrees: {}; reconciliation {file}",
            found.join(", ")
        ));
    }

    /// The first step a batch asks of a person, if any (`steps`).
    pub(crate) fn next(&mut self, step: Option<impl std::fmt::Display>) {
        if let Some(step) = step.map(|s| format!("next: {s}"))
            && !self.steps.contains(&step)
        {
            self.steps.push(step);
        }
    }

    /// What there is to say, if anything: the lines, then the steps.
    fn text(&self) -> Option<String> {
        (!self.lines.is_empty()).then(|| {
            let all: Vec<&str> = self
                .lines
                .iter()
                .chain(&self.steps)
                .map(String::as_str)
                .collect();
            format!("mprefund: {}", all.join("\n"))
        })
    }

    /// Sends what there is to say, if anything, and waits for it (bounded).
    pub(crate) async fn deliver(self, notifier: Option<&Notifier>) {
        if let Some(n) = notifier
            && let Some(text) = self.text()
        {
            n.send_and_wait(text, Duration::from_secs(30)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_or_http_to_this_machine_only() {
        for (url, taken) in [
            ("https://hooks.slack.com/services/T/B/X", true),
            ("http://127.0.0.1:9/hook", true),
            ("http://[::1]:9/", true),
            ("http://localhost:8080/x", true),
            ("http://hooks.example.com/x", false),
            ("http://10.0.0.1/x", false),
            ("ftp://127.0.0.1/", false),
            ("not a url", false),
        ] {
            assert_eq!(check_url(url).is_ok(), taken, "{url}");
        }
    }

    /// Steps ride along with something to tell, and never make a message of
    /// their own: a clean batch with refunds in process tells nothing.
    #[test]
    fn a_message_only_when_a_person_should_know() {
        let mut quiet = Tell::default();
        quiet.next(Some("`mprefund reconcile --batch b`"));
        quiet.read_back("b", &[], "r.csv");
        quiet.ended("the retry", crate::Exit::SomeFailed, None);
        assert_eq!(quiet.text(), None);

        let mut told = Tell::default();
        told.read_back("b", &[("in_doubt", 2)], "r.csv");
        told.next(Some("`mprefund reconcile --batch b`"));
        told.next(Some("`mprefund reconcile --batch b`"));
        told.ended("the reconcile", crate::Exit::Stopped, None);
        assert_eq!(
            told.text().as_deref(),
            Some(
                "mprefund: batch b: read back, Mercado Pago disagrees: in_doubt 2; reconciliation r.csv\n\
                 the reconcile: exit 3 — stopped early; resumable\n\
                 next: `mprefund reconcile --batch b`"
            )
        );
    }

    #[test]
    fn a_url_holding_the_token_is_refused() {
        let token = crate::api::client::Token::new("APP_USR-1234567890-secret").unwrap();
        let e = Notifier::new(
            Some("https://example.com/hook?t=APP_USR-1234567890-secret"),
            Some(&token),
        )
        .unwrap_err();
        assert!(e.0.contains("holds the access token"), "{e}");
        assert!(
            Notifier::new(Some("https://example.com/hook"), Some(&token))
                .unwrap()
                .is_some()
        );
        assert!(Notifier::new(None, Some(&token)).unwrap().is_none());
    }
}
