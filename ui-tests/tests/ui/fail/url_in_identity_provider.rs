use harmony_runtime::prelude::*;

topology! {
    pub Office {
        hosts {
            srv { arch: x86_64, address: "10.1.0.5" }
        }
        capabilities {
            K8sCluster       => Kube { context: "office" },
            IdentityProvider => Keycloak { url: "https://sso.example.com:99999/", realm: "office" },
        }
    }
}

fn main() {}
