//! Scale: the same partner's first page of deals and of assets with 1k and
//! then 100k items in the table across 500 partners. The bulk is written
//! straight to the table (BatchWriteItem), as copies of items the API wrote,
//! with their ids and partner rewritten; the measured partner has the same
//! 50 deals and 50 visible assets at both sizes.

use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_dynamodb::types::AttributeValue;
use prm_shared::auth::Role;
use prm_shared::dynamo::Item;
use prm_shared::meter::Call;
use prm_tests::{TestApp, put_items};

/// Every string in `item` with `from` replaced by `to` (ids and keys).
fn rewrite(item: &Item, swaps: &[(&str, &str)]) -> Item {
    fn value(v: &AttributeValue, swaps: &[(&str, &str)]) -> AttributeValue {
        match v {
            AttributeValue::S(s) => {
                AttributeValue::S(swaps.iter().fold(s.clone(), |acc, (from, to)| acc.replace(from, to)))
            }
            AttributeValue::M(m) => AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), value(v, swaps))).collect()),
            AttributeValue::L(l) => AttributeValue::L(l.iter().map(|v| value(v, swaps)).collect()),
            other => other.clone(),
        }
    }
    item.iter().map(|(k, v)| (k.clone(), value(v, swaps))).collect()
}

/// One size's measurement of one list.
pub struct Measured {
    pub path: &'static str,
    pub items_in_table: usize,
    pub calls: Vec<Call>,
    pub returned: usize,
    pub median: Duration,
}

const PARTNERS: usize = 500;
const MINE: usize = 50;
const PAGE_RUNS: usize = 21;

pub async fn measure(app: &TestApp, sizes: &[usize]) -> anyhow::Result<Vec<Measured>> {
    let meter = app.config.dynamodb_meter.clone().context("the test app has a meter")?;
    let admin = app.user(Role::VendorAdmin, None).await;
    let p = app.create_partner(&admin, "Measured", "gold", "NA").await["id"].as_str().context("partner id")?.to_owned();
    let user = app.user(Role::PartnerUser, Some(&p)).await;
    // The template: one deal registered through the API.
    let deal = prm_tests::expect_json(
        app.post("/v1/deals", &user, &prm_tests::deal_body("Template deal", "Template Inc", "template.example.com"))
            .await,
        reqwest::StatusCode::CREATED,
    )
    .await;
    let deal_id = deal["id"].as_str().context("deal id")?.to_owned();
    let template = app
        .db
        .client
        .get_item()
        .table_name(&app.db.table)
        .key("pk", AttributeValue::S(format!("DEAL#{deal_id}")))
        .key("sk", AttributeValue::S("DEAL".into()))
        .send()
        .await?
        .item
        .context("the deal item")?;
    let copy_deal = |partner: &str| {
        let id = ulid::Ulid::new().to_string();
        rewrite(&template, &[(&deal_id, &id), (&p, partner)])
    };
    // The measured partner's own 50 (49 copies and the template).
    put_items(&app.db, (1..MINE).map(|_| copy_deal(&p)).collect()).await?;
    crate::cost::seed_feed(app, MINE, &format!("P#{p}")).await?;

    let others: Vec<String> = (1..PARTNERS).map(|_| ulid::Ulid::new().to_string()).collect();
    let mut written = 2 * MINE;
    let mut out = Vec::new();
    for &size in sizes {
        // Half deals of other partners, half assets only other partners may see.
        let missing = size.saturating_sub(written);
        let deals: Vec<Item> = (0..missing / 2).map(|i| copy_deal(&others[i % others.len()])).collect();
        put_items(&app.db, deals).await?;
        let feed = missing - missing / 2;
        for (i, chunk) in (0..feed).collect::<Vec<_>>().chunks(100).enumerate() {
            crate::cost::seed_feed(app, chunk.len(), &format!("P#{}", others[i % others.len()])).await?;
        }
        written += missing;
        for path in ["/v1/deals?limit=25", "/v1/assets?limit=25"] {
            let mut times = Vec::new();
            let mut calls = Vec::new();
            let mut returned = 0;
            for run in 0..PAGE_RUNS {
                meter.take();
                let started = Instant::now();
                let page = prm_tests::expect_json(app.get(path, &user).await, reqwest::StatusCode::OK).await;
                times.push(started.elapsed());
                if run == 0 {
                    calls = meter.take();
                    returned = page["items"].as_array().map_or(0, Vec::len);
                }
            }
            times.sort();
            out.push(Measured {
                path: if path.starts_with("/v1/deals") {
                    "GET /v1/deals (first page)"
                } else {
                    "GET /v1/assets (first page)"
                },
                items_in_table: written,
                calls,
                returned,
                median: times[times.len() / 2],
            });
        }
    }
    Ok(out)
}
