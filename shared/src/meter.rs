//! Measuring what requests cost in DynamoDB: an interceptor for the DynamoDB
//! client that records each call's operation and consumed capacity (it asks
//! DynamoDB to report it). For tests and benchmarks; functions never install it.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde_json::Value;

/// One DynamoDB call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The operation, e.g. `TransactWriteItems`.
    pub operation: String,
    /// Capacity units it consumed (read and write together), as DynamoDB reported.
    pub capacity_units: f64,
    /// Items a Query (or Scan) evaluated (`ScannedCount`; 0 for other operations).
    pub scanned: u64,
}

/// Records the DynamoDB calls of a client.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    calls: Arc<Mutex<Vec<Call>>>,
}

#[derive(Debug, Clone)]
struct Operation(String);

impl Storable for Operation {
    type Storer = StoreReplace<Self>;
}

/// Operations that accept `ReturnConsumedCapacity`.
const METERED: [&str; 10] = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
];

fn units(v: &Value) -> f64 {
    match v {
        Value::Array(items) => items.iter().map(units).sum(),
        Value::Object(o) => o.get("CapacityUnits").and_then(Value::as_f64).unwrap_or(0.0),
        _ => 0.0,
    }
}

impl Meter {
    /// A new, empty meter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The calls recorded since the last take.
    pub fn take(&self) -> Vec<Call> {
        self.calls.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default()
    }
}

impl Intercept for Meter {
    fn name(&self) -> &'static str {
        "DynamoDbMeter"
    }

    fn modify_before_signing(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request_mut();
        let op = req.headers().get("x-amz-target").and_then(|t| t.rsplit('.').next()).unwrap_or("").to_owned();
        if METERED.contains(&op.as_str())
            && let Some(Ok(Value::Object(mut body))) = req.body().bytes().map(serde_json::from_slice::<Value>)
        {
            body.entry("ReturnConsumedCapacity").or_insert_with(|| Value::String("TOTAL".into()));
            let bytes = serde_json::to_vec(&body)?;
            req.headers_mut().insert("content-length", bytes.len().to_string());
            *req.body_mut() = SdkBody::from(bytes);
        }
        cfg.interceptor_state().store_put(Operation(op));
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        ctx: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Operation>().map(|o| o.0.clone()).unwrap_or_default();
        let body = ctx.response().body().bytes().and_then(|b| serde_json::from_slice::<Value>(b).ok());
        let capacity_units = body.as_ref().map(|v| units(&v["ConsumedCapacity"])).unwrap_or(0.0);
        let scanned = body.as_ref().and_then(|v| v["ScannedCount"].as_u64()).unwrap_or(0);
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(Call { operation, capacity_units, scanned });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_summed_over_tables_and_indexes() {
        let one = serde_json::json!({"TableName": "t", "CapacityUnits": 2.0});
        let many = serde_json::json!([{"CapacityUnits": 1.5}, {"CapacityUnits": 0.5}]);
        assert_eq!(units(&one), 2.0);
        assert_eq!(units(&many), 2.0);
        assert_eq!(units(&Value::Null), 0.0);
    }
}
