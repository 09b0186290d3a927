//! N web apps (`WEB_APPS`, default 3), each a `WebApp` (a Deployment, a Service and a
//! load-balancer exposure), on a cluster topology: what the render tests run as a whole program.
//!
//! ```text
//! WEB_APPS=100 cargo run -p harmony-runtime --example web_apps -- render -
//! WEB_APPS=10000 cargo run --release -p harmony-runtime --example web_apps -- plan --offline
//! ```

#[path = "shared/web_apps_plan.rs"]
mod web_apps_plan;

use web_apps_plan::{Cluster, plan};

fn main() -> std::process::ExitCode {
    let apps = std::env::var("WEB_APPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    harmony_runtime::cli(Cluster::declared(), plan("web-apps", apps, 3))
}
