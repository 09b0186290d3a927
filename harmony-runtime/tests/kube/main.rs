//! The Kubernetes backends against a test API server over real HTTP (and a real cluster when
//! `HARMONY_TEST_KUBECONFIG` is set).
//!
//! One test binary for the area (support code compiled once); each module was a binary of its
//! own before.
#[path = "../support/mod.rs"]
mod support;

mod kube_apply;
mod kube_cluster;
mod kube_dns;
mod kube_helm;
mod kube_render;
mod kube_web_app;
