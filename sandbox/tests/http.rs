//! The sandbox over HTTP: every rule, error shape, idempotency case and fault it
//! promises, driven with reqwest against `Sandbox::start` on a free loopback port.

use std::time::Duration;

use mprefund_sandbox::Kind;
use mprefund_sandbox::{Faults, PaymentSpec, Sandbox, SandboxConfig, SandboxHandle, TEST_TOKEN};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

struct Api {
    sb: SandboxHandle,
    http: reqwest::Client,
}

fn api(cfg: SandboxConfig) -> Api {
    Api {
        sb: Sandbox::start(cfg).expect("sandbox starts"),
        http: reqwest::Client::new(),
    }
}

fn dec(s: &str) -> Decimal {
    s.parse().expect("test decimal")
}

/// A JSON number's exact text (serde_json keeps it with `arbitrary_precision`).
fn num(v: &Value) -> String {
    assert!(v.is_number(), "{v} is not a JSON number");
    v.to_string()
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    fn post(&self, path: &str, key: &str, body: Option<Value>) -> reqwest::RequestBuilder {
        let req = self
            .http
            .post(self.url(path))
            .bearer_auth(TEST_TOKEN)
            .header("X-Idempotency-Key", key);
        match body {
            Some(b) => req.json(&b),
            None => req,
        }
    }

    async fn refund(&self, id: u64, key: &str, body: Option<Value>) -> (StatusCode, Value) {
        read(self.post(&format!("/v1/payments/{id}/refunds"), key, body)).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.http.get(self.url(path)).bearer_auth(TEST_TOKEN)).await
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> StatusCode {
        let req = self.http.request(method, self.url(path));
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        req.send().await.expect("admin request").status()
    }
}

async fn read(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("request answered");
    let status = resp.status();
    let text = resp.text().await.expect("body read");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {e}: {text}"));
    (status, value)
}

/// The cause code of an error body, whichever variant it uses.
fn cause(v: &Value) -> String {
    match &v["cause"][0]["code"] {
        Value::String(s) => s.clone(),
        other => num(other),
    }
}

#[tokio::test]
async fn partial_refunds_add_up_and_full_takes_the_remainder() {
    let api = api(SandboxConfig::default());
    let (s, r1) = api
        .refund(1_000_123, "k1", Some(json!({"amount": 25.50})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r1}");
    assert_eq!(num(&r1["amount"]), "25.5");
    assert_eq!(r1["payment_id"], json!(1_000_123));
    assert_eq!(r1["status"], "approved");
    assert_eq!(r1["metadata"], json!({}));
    assert_eq!(r1["source"]["type"], "collector");
    assert_eq!(r1["refund_mode"], "standard");
    assert!(r1["unique_sequence_number"].is_null() && r1["reason"].is_null());
    assert_eq!(r1["labels"], json!([]));
    assert_eq!(num(&r1["amount_refunded_to_payer"]), "25.5");
    let date = r1["date_created"].as_str().expect("date_created is text");
    time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339)
        .expect("date_created is RFC 3339 with an offset");

    let (s, over) = api
        .refund(1_000_123, "k2", Some(json!({"amount": 74.51})))
        .await;
    assert_eq!(
        (s, cause(&over)),
        (StatusCode::BAD_REQUEST, "4043".into()),
        "{over}"
    );

    let (s, r2) = api.refund(1_000_123, "k3", Some(json!({}))).await;
    assert_eq!(s, StatusCode::CREATED, "{r2}");
    assert_eq!(num(&r2["amount"]), "74.5");
    assert!(r2["id"].as_u64() > r1["id"].as_u64());

    let (s, again) = api.refund(1_000_123, "k4", None).await;
    assert_eq!((s, cause(&again)), (StatusCode::BAD_REQUEST, "2063".into()));

    let (s, p) = api.get("/v1/payments/1000123").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["status"], "refunded");
    assert_eq!(p["currency_id"], "BRL");
    assert_eq!(num(&p["transaction_amount"]), "100");
    assert_eq!(num(&p["transaction_amount_refunded"]), "100");

    let (s, list) = api.get("/v1/payments/1000123/refunds").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let (s, one) = api
        .get(&format!("/v1/payments/1000123/refunds/{}", r2["id"]))
        .await;
    assert_eq!((s, &one["id"]), (StatusCode::OK, &r2["id"]));
    let (s, missing) = api.get("/v1/payments/1000123/refunds/1").await;
    assert_eq!((s, cause(&missing)), (StatusCode::NOT_FOUND, "2032".into()));
    let (s, other) = api
        .get(&format!("/v1/payments/1000124/refunds/{}", r2["id"]))
        .await;
    assert_eq!((s, cause(&other)), (StatusCode::NOT_FOUND, "2032".into()));

    let records = api.sb.refunds();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].amount + records[1].amount, dec("100"));
    assert_eq!(records[1].idempotency_key, "k3");
}

#[tokio::test]
async fn an_empty_body_refunds_everything() {
    let api = api(SandboxConfig::default());
    let (s, r) = api.refund(77, "empty", None).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(num(&r["amount"]), "100");
    let (_, p) = api.get("/v1/payments/77").await;
    assert_eq!(p["status"], "refunded");
}

#[tokio::test]
async fn magic_ids_answer_their_documented_errors() {
    let api = api(SandboxConfig::default());
    let five = || Some(json!({"amount": 5}));
    let cases: [(u64, Option<Value>, StatusCode, &str); 10] = [
        (4_900, five(), StatusCode::NOT_FOUND, "2000"),
        (4_901, five(), StatusCode::BAD_REQUEST, "2024"),
        (4_902, five(), StatusCode::BAD_REQUEST, "15016"),
        (4_903, five(), StatusCode::BAD_REQUEST, "2063"),
        (4_904, five(), StatusCode::BAD_REQUEST, "2063"),
        (4_905, None, StatusCode::BAD_REQUEST, "2063"),
        (4_906, five(), StatusCode::BAD_REQUEST, "3024"),
        (4_909, five(), StatusCode::BAD_REQUEST, "2090"),
        (
            4_910,
            Some(json!({"amount": 0.5})),
            StatusCode::BAD_REQUEST,
            "4042",
        ),
        (4_911, five(), StatusCode::BAD_REQUEST, "2091"),
    ];
    for (id, body, status, code) in cases {
        let (s, e) = api.refund(id, &format!("magic-{id}"), body).await;
        assert_eq!((s, cause(&e).as_str()), (status, code), "payment {id}: {e}");
        assert_eq!(e["status"], json!(status.as_u16()), "numeric status: {e}");
        assert!(e["cause"][0]["description"].is_string() && e["cause"][0]["data"].is_null());
        assert!(e["message"].is_string() && e["error"].is_string());
    }
    assert!(api.sb.refunds().is_empty());

    let (s, p) = api.get("/v1/payments/4901").await;
    assert_eq!(s, StatusCode::OK);
    let approved = p["date_approved"].as_str().expect("date_approved");
    let approved =
        time::OffsetDateTime::parse(approved, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
    assert!(time::OffsetDateTime::now_utc() - approved > time::Duration::days(180));
    let (s, e) = api.get("/v1/payments/4900").await;
    assert_eq!((s, cause(&e)), (StatusCode::NOT_FOUND, "2000".into()));

    // 906 refuses partial refunds only.
    let (s, full) = api.refund(4_906, "906-full", None).await;
    assert_eq!(
        (s, num(&full["amount"])),
        (StatusCode::CREATED, "100".into())
    );
}

#[tokio::test]
async fn refunds_can_settle_in_process_or_be_rejected() {
    let api = api(SandboxConfig::default());
    let (s, r) = api.refund(907, "ip", Some(json!({"amount": 10}))).await;
    assert_eq!(
        (s, &r["status"]),
        (StatusCode::CREATED, &json!("in_process"))
    );

    let (s, r) = api.refund(908, "rej", None).await;
    assert_eq!((s, &r["status"]), (StatusCode::CREATED, &json!("rejected")));
    let (_, p) = api.get("/v1/payments/908").await;
    assert_eq!(
        p["status"], "approved",
        "a rejected refund leaves the payment whole"
    );

    let pix = |key: &str| api.post("/v1/payments/909/refunds", key, Some(json!({"amount": 5})));
    let (s, e) = read(pix("pix-1")).await;
    assert_eq!((s, cause(&e)), (StatusCode::BAD_REQUEST, "2090".into()));
    let (s, r) = read(pix("pix-2").header("X-Render-In-Process-Refunds", "true")).await;
    assert_eq!(
        (s, &r["status"]),
        (StatusCode::CREATED, &json!("in_process"))
    );

    assert_eq!(api.sb.settle_in_process(), 2);
    let (_, listed) = api.get("/v1/payments/907/refunds").await;
    assert_eq!(listed[0]["status"], "approved");
}

#[tokio::test]
async fn amounts_are_validated() {
    let api = api(SandboxConfig::default());
    let cases = [
        (json!({"amount": 0}), "4040"),
        (json!({"amount": -3}), "4040"),
        (json!({"amount": "25"}), "4041"),
        (json!({"amount": true}), "4041"),
        (json!({"amount": {"value": 1}}), "4041"),
        (json!({"amount": 0.001}), "4042"),
        (json!([1]), "400"),
    ];
    for (i, (body, code)) in cases.into_iter().enumerate() {
        let (s, e) = api.refund(55, &format!("v{i}"), Some(body.clone())).await;
        assert_eq!(
            (s, cause(&e).as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{body}: {e}"
        );
    }
    // CLP has no decimals: 0.5 is refused, whole pesos pass.
    let (s, r) = api.refund(910, "clp", Some(json!({"amount": 2500}))).await;
    assert_eq!((s, num(&r["amount"])), (StatusCode::CREATED, "2500".into()));
    let (_, p) = api.get("/v1/payments/910").await;
    assert_eq!(
        (p["currency_id"].as_str(), num(&p["transaction_amount"])),
        (Some("CLP"), "10000".into())
    );
    assert_eq!(api.sb.refunds().len(), 1);
}

#[tokio::test]
async fn string_codes_switch_every_error_to_the_text_variant() {
    let api = api(SandboxConfig {
        string_codes: true,
        ..SandboxConfig::default()
    });
    let (s, e) = api.refund(903, "s1", Some(json!({"amount": 1}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["status"], "400");
    assert_eq!(e["cause"][0]["code"], "2063");
    assert!(e["cause"][0]["message"].is_string());
    let (s, e) = api.refund(900, "s2", None).await;
    assert_eq!(
        (s, &e["status"], &e["cause"][0]["code"]),
        (StatusCode::NOT_FOUND, &json!("404"), &json!("2000"))
    );
}

#[tokio::test]
async fn advanced_payments_answer_200_with_an_array_and_string_errors() {
    let api = api(SandboxConfig::default());
    let (s, list) = read(api.post(
        "/v1/advanced_payments/10458724/refunds",
        "adv",
        Some(json!({"amount": 25})),
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 1);
    assert_eq!(
        (num(&list[0]["amount"]), list[0]["payment_id"].as_u64()),
        ("25".into(), Some(10_458_724))
    );

    let (s, e) = read(api.post(
        "/v1/advanced_payments/10458900/refunds",
        "adv-404",
        Some(json!({"amount": 25})),
    ))
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        (&e["status"], &e["cause"][0]["code"], &e["error"]),
        (&json!("404"), &json!("404002"), &json!("not_found"))
    );
    assert!(e["cause"][0]["message"].is_string() && e["cause"][0]["data"].is_null());

    let (s, e) = read(
        api.http
            .post(api.url("/v1/advanced_payments/1/refunds"))
            .bearer_auth(TEST_TOKEN),
    )
    .await;
    assert_eq!(
        (s, &e["status"], &e["cause"][0]["code"]),
        (StatusCode::BAD_REQUEST, &json!("400"), &json!("4292"))
    );

    let refunds = api.sb.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].kind, Kind::AdvancedPayment);
}

#[tokio::test]
async fn bad_tokens_get_401_and_missing_keys_4292() {
    let api = api(SandboxConfig::default());
    let path = api.url("/v1/payments/5/refunds");
    for auth in [None, Some("WRONG-x"), Some("TEST-"), Some("")] {
        let req = api.http.post(&path).header("X-Idempotency-Key", "a");
        let req = match auth {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let (s, e) = read(req).await;
        assert_eq!(
            (s, cause(&e)),
            (StatusCode::UNAUTHORIZED, "401".into()),
            "{auth:?}"
        );
    }
    let (s, _) = read(
        api.http
            .post(&path)
            .bearer_auth("APP_USR-123")
            .header("X-Idempotency-Key", "a"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = read(
        api.http
            .post(&path)
            .bearer_auth(TEST_TOKEN)
            .json(&json!({"amount": 1})),
    )
    .await;
    assert_eq!((s, cause(&e)), (StatusCode::BAD_REQUEST, "4292".into()));
    let (s, _) = read(
        api.http
            .get(api.url("/v1/payments/5"))
            .bearer_auth("WRONG-x"),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn same_key_replays_same_request_and_conflicts_on_another() {
    let api = api(SandboxConfig::default());
    let (s, first) = api.refund(31, "idem", Some(json!({"amount": 25}))).await;
    assert_eq!(s, StatusCode::CREATED);
    // Same meaning, other spelling: a replay, not a new refund.
    let body = r#"{ "amount" : 25.0 }"#;
    let resp = api
        .post("/v1/payments/31/refunds", "idem", None)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let again: Value = resp.json().await.expect("json");
    assert_eq!(again, first);

    let (s, e) = api.refund(31, "idem", Some(json!({"amount": 26}))).await;
    assert_eq!((s, cause(&e)), (StatusCode::CONFLICT, "409".into()), "{e}");
    let (s, _) = api.refund(32, "idem", Some(json!({"amount": 25}))).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "another payment is another request"
    );

    // The key belongs to a token: another token's same key is a new refund.
    let (s, other) = read(
        api.http
            .post(api.url("/v1/payments/31/refunds"))
            .bearer_auth("TEST-someone-else")
            .header("X-Idempotency-Key", "idem")
            .json(&json!({"amount": 25})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(other["id"], first["id"]);
    assert_eq!(api.sb.refunds().len(), 2);
    assert_eq!(api.sb.stats().replays, 1);
}

#[tokio::test]
async fn one_key_sent_many_times_creates_one_refund() {
    let api = api(SandboxConfig::default());
    let send = || api.refund(42, "same-key", Some(json!({"amount": 12.34})));
    // The first request is held with its key reserved; every other one meets 423.
    api.sb.hold();
    let first = send();
    let others = async {
        while api.sb.held() == 0 {
            tokio::task::yield_now().await;
        }
        let concurrent = tokio::join!(
            send(),
            send(),
            send(),
            send(),
            send(),
            send(),
            send(),
            send(),
            send()
        );
        api.sb.release();
        concurrent
    };
    let (first, c) = tokio::join!(first, others);
    let concurrent = [c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8];
    for (s, v) in &concurrent {
        assert_eq!(*s, StatusCode::LOCKED, "{v}");
        assert_eq!(cause(v), "423");
    }
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
    let mut ids = vec![first.1["id"].clone()];
    for _ in 0..10 {
        let (s, v) = send().await;
        assert_eq!(s, StatusCode::CREATED);
        ids.push(v["id"].clone());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    let refunds = api.sb.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(json!(refunds[0].id), ids[0]);
    assert_eq!(refunds[0].amount, dec("12.34"));
}

#[tokio::test]
async fn a_cut_after_commit_is_a_transport_error_and_the_retry_replays() {
    let api = api(SandboxConfig {
        faults: Faults {
            cut_after_commit: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let err = api
        .post(
            "/v1/payments/61/refunds",
            "cut",
            Some(json!({"amount": 10})),
        )
        .send()
        .await
        .expect_err("the client must not see a response");
    // hyper reports IncompleteMessage: the connection closed before any response.
    assert!(
        err.is_request() && !err.is_timeout() && err.status().is_none(),
        "{err:?}"
    );
    assert_eq!(api.sb.refunds().len(), 1, "committed before the cut");

    api.sb.set_faults(Faults::default());
    let (s, r) = api.refund(61, "cut", Some(json!({"amount": 10}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let refunds = api.sb.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(json!(refunds[0].id), r["id"]);
    let stats = api.sb.stats();
    assert_eq!((stats.cut_connections, stats.replays), (1, 1));
}

#[tokio::test]
async fn an_html_502_after_commit_and_the_retry_replays() {
    let api = api(SandboxConfig {
        faults: Faults {
            html_502_after_commit: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let resp = api
        .post("/v1/payments/62/refunds", "html", None)
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(ctype.as_deref(), Some("text/html"));
    assert!(resp.json::<Value>().await.is_err(), "not JSON");
    assert_eq!(api.sb.refunds().len(), 1);

    api.sb.set_faults(Faults::default());
    let (s, r) = api.refund(62, "html", None).await;
    assert_eq!((s, num(&r["amount"])), (StatusCode::CREATED, "100".into()));
    assert_eq!(api.sb.refunds().len(), 1);
}

#[tokio::test]
async fn faults_before_commit_create_nothing_and_release_the_key() {
    let api = api(SandboxConfig {
        faults: Faults {
            error_500: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let (s, e) = api.refund(63, "pre", None).await;
    assert_eq!(
        (s, &e["error"]),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!("internal_server_error")
        )
    );

    api.sb.set_faults(Faults {
        error_429: 1.0,
        retry_after_secs: 7,
        ..Faults::default()
    });
    let resp = api
        .post("/v1/payments/63/refunds", "pre", None)
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    assert!(api.sb.refunds().is_empty());

    api.sb.set_faults(Faults::default());
    let (s, _) = api.refund(63, "pre", None).await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "the same key succeeds once the faults stop"
    );
    assert_eq!(api.sb.refunds().len(), 1);
}

#[tokio::test]
async fn seeded_fault_shares_are_reproducible() {
    let outcomes = || async {
        let api = api(SandboxConfig {
            faults: Faults {
                error_500: 0.5,
                seed: Some(42),
                ..Faults::default()
            },
            ..SandboxConfig::default()
        });
        let mut statuses = Vec::new();
        for i in 0..20 {
            statuses.push(
                api.refund(70 + i, &format!("seed-{i}"), Some(json!({"amount": 1})))
                    .await
                    .0,
            );
        }
        statuses
    };
    let a = outcomes().await;
    assert_eq!(a, outcomes().await);
    assert!(
        a.contains(&StatusCode::CREATED) && a.contains(&StatusCode::INTERNAL_SERVER_ERROR),
        "{a:?}"
    );
}

#[tokio::test]
async fn failing_payments_fail_until_healed_then_the_same_keys_succeed() {
    let api = api(SandboxConfig::default());
    api.sb.fail_payment(81, 500);
    let (s, _) = api.refund(81, "f1", None).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    let (s, _) = api.refund(82, "f2", None).await;
    assert_eq!(s, StatusCode::CREATED, "other payments are untouched");
    api.sb.heal_payment(81);
    let (s, _) = api.refund(81, "f1", None).await;
    assert_eq!(s, StatusCode::CREATED);

    // The same through the admin endpoints.
    let fail = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/fail/83",
            Some(json!({"status": 503})),
        )
        .await;
    assert_eq!(fail, StatusCode::NO_CONTENT);
    let (s, e) = api.refund(83, "f3", None).await;
    assert_eq!(
        (s, cause(&e)),
        (StatusCode::SERVICE_UNAVAILABLE, "503".into())
    );
    assert_eq!(
        api.admin(reqwest::Method::DELETE, "/__sandbox/fail/83", None)
            .await,
        StatusCode::NO_CONTENT
    );
    let (s, _) = api.refund(83, "f3", None).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(api.sb.refunds().len(), 3);
}

#[tokio::test]
async fn declared_payments_follow_their_spec() {
    let old = time::OffsetDateTime::now_utc() - time::Duration::days(181);
    let old = old
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats");
    let api = api(SandboxConfig {
        payments: vec![
            PaymentSpec {
                amount: dec("50"),
                ..PaymentSpec::ordinary(91)
            },
            PaymentSpec {
                status: "pending".into(),
                ..PaymentSpec::ordinary(92)
            },
            PaymentSpec {
                date_approved: old,
                ..PaymentSpec::ordinary(93)
            },
        ],
        ..SandboxConfig::default()
    });
    let (s, e) = api.refund(91, "d1", Some(json!({"amount": 60}))).await;
    assert_eq!((s, cause(&e)), (StatusCode::BAD_REQUEST, "4043".into()));
    let (s, e) = api.refund(92, "d2", None).await;
    assert_eq!((s, cause(&e)), (StatusCode::BAD_REQUEST, "2063".into()));
    let (s, e) = api.refund(93, "d3", None).await;
    assert_eq!((s, cause(&e)), (StatusCode::BAD_REQUEST, "2024".into()));

    // A magic id can be declared into an ordinary payment, and ids declared at
    // run time (handle or admin endpoint) take effect at once.
    api.sb.declare_payment(PaymentSpec {
        currency: "CLP".into(),
        amount: dec("5000"),
        ..PaymentSpec::ordinary(94_900)
    });
    let (s, r) = api.refund(94_900, "d4", None).await;
    assert_eq!((s, num(&r["amount"])), (StatusCode::CREATED, "5000".into()));
    let declared = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/payments",
            Some(json!([{"id": 95, "amount": 12.5, "kind": "advanced_payment"}])),
        )
        .await;
    assert_eq!(declared, StatusCode::CREATED);
    let (s, list) = read(api.post("/v1/advanced_payments/95/refunds", "d5", None)).await;
    assert_eq!(
        (s, num(&list[0]["amount"])),
        (StatusCode::OK, "12.5".into())
    );
    let bad = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/payments",
            Some(json!({"id": 96, "amount": 1, "date_approved": "soon"})),
        )
        .await;
    assert_eq!(bad, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn stats_count_api_requests_by_second_status_and_concurrency() {
    let api = api(SandboxConfig {
        faults: Faults {
            latency: Duration::from_millis(200),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    let client = &api;
    let send = |i: u64| async move {
        client
            .refund(100 + i, &format!("c{i}"), Some(json!({"amount": 1})))
            .await
            .0
    };
    let statuses = tokio::join!(send(0), send(1), send(2), send(3), send(4), send(5));
    let statuses = [
        statuses.0, statuses.1, statuses.2, statuses.3, statuses.4, statuses.5,
    ];
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    let (s, _) = api.refund(100, "", None).await; // no key: 400
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The admin view is not counted.
    assert_eq!(
        api.admin(reqwest::Method::GET, "/__sandbox/stats", None)
            .await,
        StatusCode::OK
    );

    let stats = api.sb.stats();
    assert_eq!(stats.requests, 7);
    assert_eq!(stats.per_second.values().sum::<u64>(), 7);
    assert!(stats.busiest_second >= 2);
    assert!(stats.max_concurrent >= 2, "{stats:?}");
    assert_eq!(stats.by_status.get(&201), Some(&6));
    assert_eq!(stats.by_status.get(&400), Some(&1));
    assert_eq!((stats.refunds_created, stats.in_flight), (6, 0));

    let resp = api
        .http
        .get(api.url("/__sandbox/refunds"))
        .send()
        .await
        .expect("answered");
    let rows: Value = resp.json().await.expect("json");
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r["idempotency_key"].is_string()
        && r["kind"] == "payment"
        && r["amount"].is_number()));

    api.sb.reset_stats();
    assert_eq!(api.sb.stats().requests, 0);
}

#[tokio::test]
async fn faults_can_be_set_over_http() {
    let api = api(SandboxConfig::default());
    let set = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/faults",
            Some(json!({"error_429": 1.0, "retry_after_secs": 3})),
        )
        .await;
    assert_eq!(set, StatusCode::OK);
    let resp = api
        .post("/v1/payments/7/refunds", "h", None)
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let bad = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/faults",
            Some(json!({"error_500": 2})),
        )
        .await;
    assert_eq!(bad, StatusCode::BAD_REQUEST);
    let typo = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/faults",
            Some(json!({"eror_500": 1})),
        )
        .await;
    assert_eq!(typo, StatusCode::BAD_REQUEST);
}

/// A partial faults body changes only what it names (#19: `{"error_500": …}`
/// alone used to reset `retry_after_secs` to 0); `DELETE` clears them all.
#[tokio::test]
async fn a_partial_faults_body_keeps_the_other_faults() {
    let api = api(SandboxConfig::default());
    let set = |body: Value| api.admin(reqwest::Method::POST, "/__sandbox/faults", Some(body));
    assert_eq!(
        set(json!({"error_429": 1.0, "retry_after_secs": 3, "latency_ms": 1})).await,
        StatusCode::OK
    );
    assert_eq!(set(json!({"error_500": 0.25})).await, StatusCode::OK);
    let faults = || read(api.http.get(api.url("/__sandbox/faults")));
    let (status, now) = faults().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(now["retry_after_secs"], 3, "{now}");
    assert_eq!(now["error_429"], 1.0, "{now}");
    assert_eq!(now["latency_ms"], 1, "{now}");
    assert_eq!(now["error_500"], 0.25, "{now}");
    // A bad field refuses the whole body: nothing changes.
    assert_eq!(
        set(json!({"error_500": 0.5, "retry_after_secs": -1})).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(faults().await.1, now);
    assert_eq!(
        api.admin(reqwest::Method::DELETE, "/__sandbox/faults", None)
            .await,
        StatusCode::OK
    );
    let (_, cleared) = faults().await;
    assert_eq!(cleared["retry_after_secs"], 0, "{cleared}");
    assert_eq!(cleared["error_429"], 0.0, "{cleared}");
}

/// The handle works without any async runtime around it.
#[test]
fn starts_and_stops_from_a_plain_test() {
    use std::io::{Read, Write};
    let sb = Sandbox::start(SandboxConfig::default()).expect("starts");
    assert!(sb.base_url().starts_with("http://127.0.0.1:"));
    let mut conn = std::net::TcpStream::connect(sb.addr()).expect("connects");
    conn.write_all(b"GET /__sandbox/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("writes");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("reads");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(sb);
}

/// What `reconcile` reads back (issue 7): refunds made by hand, changed later,
/// settled with time; GETs counted apart from POSTs.
#[tokio::test]
async fn the_books_can_change_behind_the_tool() {
    let api = api(SandboxConfig {
        settle_after: Some(std::time::Duration::ZERO),
        ..SandboxConfig::default()
    });
    let (s, mine) = api.refund(3001, "k1", Some(json!({"amount": 10}))).await;
    assert_eq!(s, StatusCode::CREATED);
    // By hand, as in the panel: no key.
    let s = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/manual_refund/3001",
            Some(json!({"amount": 5})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, p) = api.get("/v1/payments/3001").await;
    assert_eq!(num(&p["transaction_amount_refunded"]), "15");
    assert_eq!(p["refunds"].as_array().unwrap().len(), 2);
    let keys: Vec<String> = api
        .sb
        .refunds()
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys, ["k1", ""]);

    // Rejected later: its money goes back to the payment.
    let id = mine["id"].as_u64().unwrap();
    let s = api
        .admin(
            reqwest::Method::POST,
            &format!("/__sandbox/refunds/{id}"),
            Some(json!({"status": "rejected"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, p) = api.get("/v1/payments/3001").await;
    assert_eq!(num(&p["transaction_amount_refunded"]), "5");
    assert_eq!(p["refunds"][0]["status"], "rejected");
    let s = api
        .admin(
            reqwest::Method::POST,
            "/__sandbox/refunds/1",
            Some(json!({"status": "rejected"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // An in-process refund settles on its own with --settle-after.
    let (s, r) = api.refund(3907, "k2", Some(json!({"amount": 1}))).await;
    assert_eq!(
        (s, r["status"].as_str()),
        (StatusCode::CREATED, Some("in_process"))
    );
    let (_, p) = api.get("/v1/payments/3907").await;
    assert_eq!(p["refunds"][0]["status"], "approved");

    let stats = api.sb.stats();
    assert_eq!((stats.posts, stats.gets), (2, 3));
}

/// `--rate-limit N`: per token, N requests in any one second; past it a 429 with
/// Retry-After, nothing created, counted in the stats.
#[tokio::test]
async fn the_account_limit_answers_429_past_n_per_second_per_token() {
    let api = api(SandboxConfig {
        rate_limit: Some(5),
        ..SandboxConfig::default()
    });
    let mut statuses = Vec::new();
    let mut retry_after = Vec::new();
    let started = std::time::Instant::now();
    for i in 0..8u64 {
        let resp = api
            .post(
                &format!("/v1/payments/{}/refunds", 8_100_000 + i),
                &format!("k{i}"),
                None,
            )
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
        if let Some(v) = resp.headers().get("retry-after") {
            retry_after.push(v.to_str().unwrap().parse::<u64>().unwrap());
        }
    }
    let created = statuses.iter().filter(|&&s| s == 201).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    // Whatever the machine's speed: the first five always fit, every answer is
    // one of the two, a 429 creates nothing and always says when to come back.
    assert_eq!(statuses[..5], [201; 5], "{statuses:?}");
    assert_eq!(created + limited, 8, "{statuses:?}");
    assert_eq!(api.sb.refunds().len(), created);
    assert_eq!(retry_after, vec![1; limited]);
    assert_eq!(api.sb.stats().rate_limited, limited as u64);
    // Eight loopback round trips inside a second must meet the limit; a machine
    // stalled past that has only the checks above to prove.
    if started.elapsed() < Duration::from_millis(900) {
        assert_eq!((created, limited), (5, 3), "{statuses:?}");
    }
    // Another token has its own allowance.
    let (status, _) = read(
        api.http
            .post(api.url("/v1/payments/8100100/refunds"))
            .bearer_auth("TEST-another-account")
            .header("X-Idempotency-Key", "other"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let stats = api.sb.stats();
    assert_eq!(stats.rate_limited, limited as u64);
    assert_eq!(
        stats.by_status.get(&429).copied().unwrap_or(0),
        limited as u64
    );
}
