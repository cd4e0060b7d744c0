//! Dev-only: shows in the `make dev` log every email the emulated SES accepted
//! (moto keeps them in `/moto-api/data.json` under `ses.Message`), so a deal
//! registered in the dev portal visibly produces its alert email.

use std::collections::HashSet;

use serde_json::Value;

/// One accepted email: (id, to, subject).
fn messages(data: &Value) -> Vec<(String, String, String)> {
    data["ses"]["Message"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|m| {
                    let to = m["destinations"]["ToAddresses"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default();
                    let id = m["id"].as_str().map_or_else(|| format!("{to}|{}", m["subject"]), str::to_owned);
                    (id, to, m["subject"].as_str().unwrap_or_default().to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Logs, every `every`, the emails accepted since the last look.
pub async fn follow(aws_endpoint: String, every: std::time::Duration) {
    let http = reqwest::Client::new();
    let url = format!("{}/moto-api/data.json", aws_endpoint.trim_end_matches('/'));
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        if let Ok(res) = http.get(&url).send().await
            && let Ok(data) = res.json::<Value>().await
        {
            for (id, to, subject) in messages(&data) {
                if seen.insert(id) {
                    tracing::info!(%to, %subject, "mail sent (emulated SES)");
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_are_read_from_motos_state() {
        let data = serde_json::json!({"ses": {"Message": [
            {"id": "m1", "destinations": {"ToAddresses": ["a@x.com"]}, "subject": "Hello"}
        ]}});
        assert_eq!(super::messages(&data), vec![("m1".into(), "a@x.com".into(), "Hello".into())]);
        assert!(super::messages(&serde_json::json!({})).is_empty());
    }
}
