//! End-to-end tests: real tokens from the emulated Cognito, the real table in
//! DynamoDB Local, every request through the local authorizer and routers.

mod alerts;
mod auth;
mod authz;
mod bodies;
mod content;
mod cost;
mod deals;
mod events;
mod faults;
mod idempotency;
mod leads;
mod mass;
mod mdf;
mod partners;
mod program;
mod training;
mod users;
