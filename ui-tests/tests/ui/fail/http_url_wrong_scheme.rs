// An identity provider's base URL with a scheme that is not HTTP.
use harmony_runtime::prelude::*;

topology! {
    pub Office {
        hosts {
            srv { arch: x86_64, address: "10.1.0.2" }
        }
        capabilities {
            IdentityProvider => Keycloak { url: "ldaps://sso.example.com", realm: "office" },
        }
    }
}

fn main() {}
