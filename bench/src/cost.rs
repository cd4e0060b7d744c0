//! DynamoDB cost per request of the hot paths: the functions' DynamoDB client
//! carries a meter (ReturnConsumedCapacity=TOTAL on every call), so each row
//! counts the requests and sums the capacity DynamoDB Local reported.

use anyhow::{Context, ensure};
use prm_shared::auth::Role;
use prm_shared::meter::Call;
use prm_tests::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The fewest DynamoDB requests and capacity units an operation can need, with why.
pub struct Floor {
    pub requests: usize,
    pub why: &'static str,
}

/// One measured hot path.
pub struct Row {
    pub path: &'static str,
    pub calls: Vec<Call>,
    pub floor: Floor,
}

impl Row {
    pub fn units(&self) -> f64 {
        self.calls.iter().map(|c| c.capacity_units).sum()
    }
    pub fn scans(&self) -> usize {
        self.calls.iter().filter(|c| c.operation == "Scan").count()
    }
    pub fn operations(&self) -> String {
        self.calls.iter().map(|c| format!("{} {}", c.operation, c.capacity_units)).collect::<Vec<_>>().join(", ")
    }
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    user: &TestUser,
    body: Option<&Value>,
    want: StatusCode,
) -> anyhow::Result<Value> {
    let mut req = app.req(method.clone(), path, Some(user));
    if let Some(b) = body {
        // What the portal sends with every create.
        req = req.header("Idempotency-Key", ulid::Ulid::new().to_string()).json(b);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    ensure!(status == want, "{method} {path}: {status} (wanted {want}): {text}");
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn id(v: &Value) -> anyhow::Result<String> {
    v["id"].as_str().map(str::to_owned).with_context(|| format!("no id in {v}"))
}

pub async fn measure(app: &TestApp) -> anyhow::Result<Vec<Row>> {
    let meter = app.config.dynamodb_meter.clone().context("the test app has a meter")?;
    let admin = app.user(Role::VendorAdmin, None).await;
    let manager = app.user(Role::ChannelManager, None).await;
    let mut rows = Vec::new();

    meter.take();
    let partner = send(
        app,
        Method::POST,
        "/v1/partners",
        &admin,
        Some(&prm_tests::partner_body("Bench Co", "gold", "NA")),
        StatusCode::CREATED,
    )
    .await?;
    rows.push(Row {
        path: "POST /v1/partners",
        calls: meter.take(),
        floor: Floor {
            requests: 3,
            why: "claim the Idempotency-Key (put); the profile (a put conditional on the id being new); store the answer for replays (put)",
        },
    });
    let p = id(&partner)?;
    let user = app.user(Role::PartnerUser, Some(&p)).await;

    // A page of assets the partner may see (10 published entries in its cells).
    seed_feed(app, 10, "gold#*#*").await?;
    meter.take();
    send(app, Method::GET, "/v1/assets?limit=25", &user, None, StatusCode::OK).await?;
    rows.push(Row {
        path: "GET /v1/assets (page)",
        calls: meter.take(),
        floor: Floor {
            requests: 10,
            why: "the caller's partner (tier, region, type: get); one query per visibility cell the partner falls in (9), merged",
        },
    });

    let deal_body = |n: usize| {
        prm_tests::deal_body(
            &format!("Bench deal {n}"),
            &format!("Bench Customer {n}"),
            &format!("bench-customer-{n}.com"),
        )
    };
    meter.take();
    let deal = send(app, Method::POST, "/v1/deals", &user, Some(&deal_body(0)), StatusCode::CREATED).await?;
    rows.push(Row {
        path: "POST /v1/deals",
        calls: meter.take(),
        floor: Floor {
            requests: 6,
            why: "claim the key; the customer's open registrations by domain and by normalized name (2 queries: conflict detection); one transaction (deal, customer entries, one-open-per-partner guard, outbox event); delete the outbox entry once published; store the answer",
        },
    });
    let deal_id = id(&deal)?;
    meter.take();
    send(app, Method::POST, &format!("/v1/deals/{deal_id}/approve"), &manager, Some(&json!({})), StatusCode::OK)
        .await?;
    rows.push(Row {
        path: "POST /v1/deals/{id}/approve",
        calls: meter.take(),
        floor: Floor {
            requests: 6,
            why: "claim the key; the deal (get); its partner's tier and the tier rules (one batch get: they depend on the deal's partner); one transaction (deal, customer protection, due entries, outbox); delete the outbox entry once published; store the answer",
        },
    });

    let allocation =
        json!({"partner_id": p, "period": "2026-H2", "amount": {"amount_minor": 1_000_000, "currency": "USD"}});
    send(app, Method::POST, "/v1/mdf/allocations", &admin, Some(&allocation), StatusCode::CREATED).await?;
    let request = json!({
        "period": "2026-H2", "activity_type": "event", "title": "Bench booth", "description": "Trade show booth",
        "start_date": "2026-09-01", "end_date": "2026-09-03",
        "requested_amount": {"amount_minor": 40_000, "currency": "USD"},
        "expected": {"leads": 10, "pipeline": {"amount_minor": 100_000, "currency": "USD"}}
    });
    meter.take();
    let r = send(app, Method::POST, "/v1/mdf/requests", &user, Some(&request), StatusCode::CREATED).await?;
    rows.push(Row {
        path: "POST /v1/mdf/requests",
        calls: meter.take(),
        floor: Floor {
            requests: 5,
            why: "claim the key; the partner's allocation of the period (get: currency and existence); one transaction (request, outbox); delete the outbox entry once published; store the answer",
        },
    });
    let rid = id(&r)?;
    meter.take();
    send(app, Method::POST, &format!("/v1/mdf/requests/{rid}/approve"), &admin, Some(&json!({})), StatusCode::OK)
        .await?;
    rows.push(Row {
        path: "POST /v1/mdf/requests/{id}/approve",
        calls: meter.take(),
        floor: Floor {
            requests: 5,
            why: "claim the key; the request (get); one transaction (request, conditional reserve on the allocation, ledger entry, due entries, outbox); delete the outbox entry once published; store the answer",
        },
    });

    let claim = json!({
        "amount": {"amount_minor": 30_000, "currency": "USD"},
        "results": {"leads": 12, "attendees": 80, "pipeline": {"amount_minor": 900_000, "currency": "USD"}},
        "proofs": [{"name": "attendance.pdf", "content_type": "application/pdf", "size_bytes": 2048}]
    });
    meter.take();
    send(app, Method::POST, &format!("/v1/mdf/requests/{rid}/claims"), &user, Some(&claim), StatusCode::CREATED)
        .await?;
    rows.push(Row {
        path: "POST /v1/mdf/requests/{id}/claims",
        calls: meter.take(),
        floor: Floor {
            requests: 5,
            why: "claim the key; the request (get); one transaction (claim, request, allocation, ledger entry, outbox); delete the outbox entry once published; store the answer",
        },
    });

    for n in 1..30 {
        send(app, Method::POST, "/v1/deals", &user, Some(&deal_body(n)), StatusCode::CREATED).await?;
    }
    meter.take();
    send(app, Method::GET, "/v1/deals?limit=25", &user, None, StatusCode::OK).await?;
    rows.push(Row {
        path: "GET /v1/deals (page of 25)",
        calls: meter.take(),
        floor: Floor { requests: 1, why: "one query of the partner's deals index" },
    });
    Ok(rows)
}

/// `n` published entries in a visibility cell, as publishing writes them.
pub async fn seed_feed(app: &TestApp, n: usize, cell: &str) -> anyhow::Result<()> {
    let items = (0..n)
        .map(|i| {
            let id = ulid::Ulid::new().to_string();
            let at = format!("2026-11-{:02}T00:00:00.{:03}Z", 1 + i % 28, i % 1000);
            json!({
                "pk": format!("ASSETCELL#{cell}"), "sk": format!("{at}#{id}"), "entity": "feed-entry",
                "id": id, "title": format!("Asset {i}"), "description": "", "kind": "document", "tags": [],
                "status": "published", "current_version": 1, "published_at": at
            })
        })
        .collect::<Vec<_>>();
    prm_tests::put_json(&app.db, &items).await
}
