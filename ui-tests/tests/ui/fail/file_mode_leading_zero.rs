// `mode: 0644` is the decimal number 644 in Rust: a file mode is written `0o644`.
use harmony_runtime::prelude::*;

score! {
    pub fn files() -> Plan<Localhost> {
        conf = ConfigFile { path: "app.toml", content: "x = 1\n", mode: 0644 };
    }
}

fn main() {}
