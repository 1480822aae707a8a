//! The sandbox's Orders API over HTTP: refunds of orders (full, partial by
//! transaction), the whole order answered with amounts as strings, the errors
//! in the Orders API's shape with their string codes, each magic order, the
//! idempotency cases and the faults, and the admin view of every order refund.

use mprefund_sandbox::{Faults, OrderSpec, Sandbox, SandboxConfig, SandboxHandle, TEST_TOKEN};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ORD: &str = "ORD01JQ4S4KY8HWQ6NA5PXB65B001";

fn order(n: u16) -> String {
    format!("ORD01JQ4S4KY8HWQ6NA5PXB65B{n:03}")
}

/// The only payment transaction of an ordinary order.
fn pay(order: &str) -> String {
    format!("PAY{}001", &order[3..26])
}

struct Api {
    sb: SandboxHandle,
    http: reqwest::Client,
}

fn api(faults: Faults) -> Api {
    Api {
        sb: Sandbox::start(SandboxConfig {
            faults,
            ..SandboxConfig::default()
        })
        .expect("sandbox starts"),
        http: reqwest::Client::new(),
    }
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    fn post(&self, order: &str, key: &str, body: Option<Value>) -> reqwest::RequestBuilder {
        let req = self
            .http
            .post(self.url(&format!("/v1/orders/{order}/refund")))
            .bearer_auth(TEST_TOKEN)
            .header("X-Idempotency-Key", key);
        match body {
            Some(b) => req.json(&b),
            None => req,
        }
    }

    async fn refund(&self, order: &str, key: &str, body: Option<Value>) -> (StatusCode, Value) {
        read(self.post(order, key, body)).await
    }

    async fn partial(&self, order: &str, key: &str, amount: &str) -> (StatusCode, Value) {
        let body = json!({"transactions": [{"id": pay(order), "amount": amount}]});
        self.refund(order, key, Some(body)).await
    }

    async fn get(&self, order: &str) -> (StatusCode, Value) {
        read(
            self.http
                .get(self.url(&format!("/v1/orders/{order}")))
                .bearer_auth(TEST_TOKEN),
        )
        .await
    }
}

async fn read(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("request answered");
    let status = resp.status();
    let text = resp.text().await.expect("body read");
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {e}: {text}"));
    (status, value)
}

/// The string code of an Orders API error body.
fn code(v: &Value) -> &str {
    v["errors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {v}"))
}

#[tokio::test]
async fn a_partial_then_a_full_refund_answer_the_whole_order() {
    let api = api(Faults::default());
    let (s, o) = api.partial(ORD, "k1", "10.00").await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["id"], ORD);
    assert_eq!(
        (o["status"].as_str(), o["status_detail"].as_str()),
        (Some("processed"), Some("partially_refunded"))
    );
    let payment = &o["transactions"]["payments"][0];
    assert_eq!(payment["id"], pay(ORD));
    assert_eq!(
        (
            payment["amount"].as_str(),
            payment["refunded_amount"].as_str()
        ),
        (Some("100.00"), Some("10.00"))
    );
    let refund = &o["transactions"]["refunds"][0];
    assert!(
        refund["id"].as_str().unwrap().starts_with("REF"),
        "{refund}"
    );
    assert_eq!(
        (refund["amount"].as_str(), refund["status"].as_str()),
        (Some("10.00"), Some("processed"))
    );
    assert_eq!(refund["transaction_id"], pay(ORD));

    // No body: what is left.
    let (s, o) = api.refund(ORD, "k2", None).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["status_detail"], "refunded");
    assert_eq!(o["transactions"]["refunds"][1]["amount"], "90.00");
    let (s, e) = api.refund(ORD, "k3", None).await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::CONFLICT, "order_already_refunded")
    );
    let (s, got) = api.get(ORD).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["transactions"]["refunds"].as_array().unwrap().len(), 2);

    // The admin view: every order refund, with its key.
    let made = api.sb.order_refunds();
    assert_eq!(made.len(), 2);
    assert_eq!(
        (made[0].idempotency_key.as_str(), made[0].order_id.as_str()),
        ("k1", ORD)
    );
    let listed: Value = api
        .http
        .get(api.url("/__sandbox/order_refunds"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[1]["idempotency_key"], "k2");
    assert_eq!(listed[1]["amount"], "90");
}

#[tokio::test]
async fn requests_the_api_refuses_answer_its_codes() {
    let api = api(Faults::default());
    let missing = read(
        api.http
            .post(api.url(&format!("/v1/orders/{ORD}/refund")))
            .bearer_auth(TEST_TOKEN),
    )
    .await;
    assert_eq!(
        (missing.0, code(&missing.1)),
        (StatusCode::BAD_REQUEST, "empty_required_header")
    );
    let long = api.refund(ORD, &"k".repeat(129), None).await;
    assert_eq!(code(&long.1), "invalid_idempotency_key_length");
    assert_eq!(
        api.refund(ORD, &"k".repeat(128), None).await.0,
        StatusCode::CREATED
    );
    let bad = api.refund("ORD123", "k", None).await;
    assert_eq!(
        (bad.0, code(&bad.1)),
        (StatusCode::BAD_REQUEST, "invalid_path_param")
    );
    let bad = api.get("ORD123").await;
    assert_eq!(code(&bad.1), "invalid_path_param");
    let other = order(2);
    let wrong = api
        .refund(
            &other,
            "t",
            Some(json!({"transactions": [{"id": "PAY0", "amount": "1.00"}]})),
        )
        .await;
    assert_eq!(
        (wrong.0, code(&wrong.1)),
        (StatusCode::NOT_FOUND, "transaction_not_found")
    );
    let over = api.partial(&other, "o", "100.01").await;
    assert_eq!(
        (over.0, code(&over.1)),
        (StatusCode::BAD_REQUEST, "refund_amount_exceeds")
    );
    let number = api
        .refund(
            &other,
            "n",
            Some(json!({"transactions": [{"id": pay(&other), "amount": 1}]})),
        )
        .await;
    assert_eq!(number.0, StatusCode::BAD_REQUEST, "the amount is a string");
    let token = read(
        api.http
            .post(api.url(&format!("/v1/orders/{other}/refund")))
            .bearer_auth("nope")
            .header("X-Idempotency-Key", "x"),
    )
    .await;
    assert_eq!(
        (token.0, code(&token.1)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    assert!(token.1["errors"][0]["details"].is_array());
    assert!(
        api.sb.order_refunds().len() == 1,
        "nothing refused was made"
    );
}

#[tokio::test]
async fn magic_orders_answer_their_documented_errors() {
    let api = api(Faults::default());
    let cases: [(u16, bool, StatusCode, &str); 13] = [
        (900, false, StatusCode::NOT_FOUND, "order_not_found"),
        (901, false, StatusCode::BAD_REQUEST, "invalid_order_owner"),
        (
            902,
            false,
            StatusCode::BAD_REQUEST,
            "in_store_payment_refund_order",
        ),
        (
            903,
            true,
            StatusCode::BAD_REQUEST,
            "unsupported_partially_refunds",
        ),
        (
            904,
            true,
            StatusCode::FORBIDDEN,
            "partial_refund_forbidden_with_tips",
        ),
        (905, false, StatusCode::CONFLICT, "refund_in_progress"),
        (
            906,
            false,
            StatusCode::CONFLICT,
            "idempotency_key_already_used",
        ),
        (907, false, StatusCode::LOCKED, "resource_locked"),
        (
            908,
            false,
            StatusCode::INTERNAL_SERVER_ERROR,
            "idempotency_validation_failed",
        ),
        (913, false, StatusCode::UNAUTHORIZED, "user_not_authorized"),
        (914, false, StatusCode::CONFLICT, "cannot_refund_order"),
        (915, false, StatusCode::BAD_REQUEST, "invalid_order_status"),
        (
            916,
            true,
            StatusCode::BAD_REQUEST,
            "partial_refund_not_allowed_with_cashout",
        ),
    ];
    for (n, partial, status, want) in cases {
        let id = order(n);
        let (s, e) = if partial {
            api.partial(&id, "m", "1.00").await
        } else {
            api.refund(&id, &format!("m{n}"), None).await
        };
        assert_eq!((s, code(&e)), (status, want), "order {n}");
    }
    assert!(api.sb.order_refunds().is_empty());
    // The first-POST ones answer as ordinary afterwards, with the same key.
    assert_eq!(
        api.refund(&order(905), "m905", None).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        api.refund(&order(907), "m907", None).await.0,
        StatusCode::CREATED
    );
    // A full refund of the partial-only ones is taken.
    for n in [903, 916] {
        assert_eq!(
            api.refund(&order(n), &format!("f{n}"), None).await.0,
            StatusCode::CREATED,
            "order {n}"
        );
    }
    // Processing refunds settle; failed ones move no money.
    let (_, o) = api.refund(&order(909), "s", None).await;
    assert_eq!(o["transactions"]["refunds"][0]["status"], "processing");
    let (_, o) = api.refund(&order(910), "f2", None).await;
    assert_eq!(o["transactions"]["refunds"][0]["status"], "failed");
    assert_eq!(o["transactions"]["payments"][0]["refunded_amount"], "0.00");
    assert_eq!(api.sb.settle_in_process(), 1);
    let (_, o) = api.get(&order(909)).await;
    assert_eq!(o["transactions"]["refunds"][0]["status"], "processed");
    // Two transactions: a full refund makes one refund each.
    let (_, o) = api.refund(&order(911), "two", None).await;
    let refunds = o["transactions"]["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 2);
    assert_ne!(refunds[0]["transaction_id"], refunds[1]["transaction_id"]);
    let (_, o) = api.get(&order(912)).await;
    assert_eq!(o["transactions"]["chargebacks"][0]["status"], "opened");
}

#[tokio::test]
async fn one_key_makes_one_refund_and_another_body_is_refused() {
    let api = api(Faults::default());
    let (s1, first) = api.partial(ORD, "same", "5.00").await;
    let (s2, again) = api.partial(ORD, "same", "5.00").await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first, again, "the replay is the order as it stood");
    let (s, e) = api.partial(ORD, "same", "6.00").await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::CONFLICT, "idempotency_key_already_used")
    );
    assert_eq!(api.sb.order_refunds().len(), 1);
    assert_eq!(api.sb.stats().replays, 1);
}

#[tokio::test]
async fn a_cut_after_commit_leaves_one_refund_the_retry_replays() {
    let api = api(Faults {
        cut_after_commit: 1.0,
        ..Faults::default()
    });
    let err = api.post(ORD, "cut", None).send().await;
    assert!(err.is_err(), "no answer came");
    assert_eq!(api.sb.order_refunds().len(), 1, "committed before the cut");
    api.sb.set_faults(Faults::default());
    let (s, o) = api.refund(ORD, "cut", None).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(o["transactions"]["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(api.sb.order_refunds().len(), 1);
}

#[tokio::test]
async fn faults_before_commit_make_nothing_in_the_orders_shape() {
    let api = api(Faults {
        error_500: 1.0,
        ..Faults::default()
    });
    let (s, e) = api.refund(ORD, "k", None).await;
    assert_eq!((s, code(&e)), (StatusCode::INTERNAL_SERVER_ERROR, "500"));
    assert!(api.sb.order_refunds().is_empty());
    api.sb.set_faults(Faults::default());
    assert_eq!(api.refund(ORD, "k", None).await.0, StatusCode::CREATED);
    // A request held in flight keeps its key: the same key meets 423.
    api.sb.hold();
    let held = tokio::spawn({
        let req = api.post(&order(3), "held", None);
        async move { req.send().await.map(|r| r.status()) }
    });
    while api.sb.held() == 0 {
        tokio::task::yield_now().await;
    }
    let (s, e) = api.refund(&order(3), "held", None).await;
    assert_eq!((s, code(&e)), (StatusCode::LOCKED, "resource_locked"));
    api.sb.release();
    assert_eq!(held.await.unwrap().unwrap(), StatusCode::CREATED);
}

#[tokio::test]
async fn declared_orders_and_refunds_by_hand() {
    let api = api(Faults::default());
    let id = order(42);
    api.sb.declare_order(OrderSpec {
        amount: "30".parse().unwrap(),
        transactions: 2,
        chargeback: true,
        ..OrderSpec::ordinary(&id)
    });
    let (_, o) = api.get(&id).await;
    assert_eq!(o["total_amount"], "30.00");
    assert_eq!(o["transactions"]["payments"][1]["amount"], "15.00");
    let made = api.sb.order_refund_by_hand(&id, Some("5.00")).unwrap();
    assert_eq!((made.len(), made[0].idempotency_key.as_str()), (1, ""));
    let status = api
        .http
        .post(api.url(&format!("/__sandbox/order_refunds/{}", made[0].id)))
        .json(&json!({"status": "failed"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    let (_, o) = api.get(&id).await;
    assert_eq!(o["transactions"]["refunds"][0]["status"], "failed");
    assert_eq!(o["transactions"]["payments"][0]["refunded_amount"], "0.00");
    let declared = api
        .http
        .post(api.url("/__sandbox/orders"))
        .json(&json!({"id": order(43), "amount": "12.5", "status": "action_required"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(declared, StatusCode::CREATED);
    let (s, e) = api.refund(&order(43), "x", None).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "cannot_refund_order"));
}
