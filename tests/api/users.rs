use prm_tests::{World, expect_json, problem_fields};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn world() -> World {
    World::spawn().await
}

fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@invitee.example.com", ulid::Ulid::new().to_string().to_lowercase())
}

fn invite(email: &str, role: &str) -> Value {
    json!({"email": email, "name": "Ines Invitee", "role": role})
}

fn temporary_password(mail_body: &str) -> String {
    let start =
        mail_body.find("Temporary password: <code>").expect("password in mail") + "Temporary password: <code>".len();
    let end = start + mail_body[start..].find("</code>").unwrap();
    mail_body[start..end]
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[tokio::test]
async fn an_invited_user_gets_an_email_signs_in_and_belongs_to_the_partner() {
    let w = world().await;
    let email = unique_email("new");
    let user = expect_json(
        w.app
            .post(&format!("/v1/partners/{}/users", w.own), &w.admin, &invite(&email.to_uppercase(), "partner-admin"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(user["email"], email.as_str(), "emails are stored lower-case");
    assert_eq!((user["role"].as_str(), user["status"].as_str()), (Some("partner-admin"), Some("invited")));
    assert_eq!(user["partner_id"], w.own.as_str());

    let mail = w.app.mail_to(&email).await;
    assert_eq!(mail.len(), 1, "one invitation");
    assert!(mail[0].0.contains("invitation"));
    let password = temporary_password(&mail[0].1);

    let token = w.app.first_sign_in(&email, &password, "Brand-New-Passw0rd!").await.unwrap();
    let me: Value =
        w.app.http.get(format!("{}/v1/me", w.app.url)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["sub"], user["id"]);
    assert_eq!(me["roles"], json!(["partner-admin"]));
    assert_eq!(me["partner_id"], w.own.as_str());
    assert_eq!(me["partner"]["name"], "Own Partner");

    let listed =
        expect_json(w.app.get(&format!("/v1/partners/{}/users", w.own), &w.partner_admin).await, StatusCode::OK).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], user["id"]);
}

#[tokio::test]
async fn a_partner_admin_invites_into_its_own_partner_only_and_only_partner_roles() {
    let w = world().await;
    let own_path = format!("/v1/partners/{}/users", w.own);
    expect_json(
        w.app.post(&own_path, &w.partner_admin, &invite(&unique_email("ok"), "partner-user")).await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        w.app
            .post(
                &format!("/v1/partners/{}/users", w.foreign),
                &w.partner_admin,
                &invite(&unique_email("x"), "partner-user"),
            )
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for role in ["vendor-admin", "channel-manager", "owner"] {
        let body = expect_json(
            w.app.post(&own_path, &w.partner_admin, &invite(&unique_email("r"), role)).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(problem_fields(&body), vec!["role"]);
    }
    let body = expect_json(
        w.app.post(&own_path, &w.admin, &invite(&unique_email("r"), "vendor-admin")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(problem_fields(&body), vec!["role"]);
    // Only the one valid invitation was created.
    let listed = expect_json(w.app.get(&own_path, &w.admin).await, StatusCode::OK).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn channel_managers_and_partner_users_cannot_invite() {
    let w = world().await;
    let own_path = format!("/v1/partners/{}/users", w.own);
    for who in [&w.manager, &w.partner_user] {
        expect_json(
            w.app.post(&own_path, who, &invite(&unique_email("n"), "partner-user")).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    expect_json(
        w.app
            .post(
                "/v1/partners/01ZZZZZZZZZZZZZZZZZZZZZZZZ/users",
                &w.admin,
                &invite(&unique_email("m"), "partner-user"),
            )
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn the_user_list_is_for_vendor_roles_and_the_partners_own_admins() {
    let w = world().await;
    expect_json(
        w.app
            .post(&format!("/v1/partners/{}/users", w.foreign), &w.admin, &invite(&unique_email("f"), "partner-user"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let own_path = format!("/v1/partners/{}/users", w.own);
    let foreign_path = format!("/v1/partners/{}/users", w.foreign);
    for who in [&w.admin, &w.manager] {
        let list = expect_json(w.app.get(&foreign_path, who).await, StatusCode::OK).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
    expect_json(w.app.get(&own_path, &w.partner_admin).await, StatusCode::OK).await;
    let hidden = expect_json(w.app.get(&foreign_path, &w.partner_admin).await, StatusCode::NOT_FOUND).await;
    assert!(!hidden.to_string().contains("invitee.example.com"));
    expect_json(w.app.get(&own_path, &w.partner_user).await, StatusCode::FORBIDDEN).await;
    expect_json(w.app.get("/v1/partners/01ZZZZZZZZZZZZZZZZZZZZZZZZ/users", &w.admin).await, StatusCode::NOT_FOUND)
        .await;
}

#[tokio::test]
async fn an_email_already_in_use_is_a_conflict_even_when_invitations_race() {
    let w = world().await;
    let email = unique_email("race");
    let own_path = format!("/v1/partners/{}/users", w.own);
    let foreign_path = format!("/v1/partners/{}/users", w.foreign);
    let body = invite(&email, "partner-user");
    let (a, b, c, d) = tokio::join!(
        w.app.post(&own_path, &w.admin, &body),
        w.app.post(&own_path, &w.partner_admin, &body),
        w.app.post(&foreign_path, &w.admin, &body),
        w.app.post(&own_path, &w.admin, &body),
    );
    let mut statuses: Vec<u16> = [a, b, c, d].iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, vec![201, 409, 409, 409]);
    let own: Value = w.app.get(&own_path, &w.admin).await.json().await.unwrap();
    let foreign: Value = w.app.get(&foreign_path, &w.admin).await.json().await.unwrap();
    let total = own["items"].as_array().unwrap().len() + foreign["items"].as_array().unwrap().len();
    assert_eq!(total, 1, "exactly one user record");
    assert_eq!(w.app.mail_to(&email).await.len(), 1, "exactly one invitation");
    // The emulated Cognito holds exactly one user with that email.
    let users = w
        .app
        .idp
        .list_users()
        .user_pool_id(&w.app.pool.pool_id)
        .filter(format!("email = \"{email}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(users.users().len(), 1);
}
