//! A capability declared outside Harmony's core crates: a certificate authority.
//!
//! Everything a built-in capability has, written in this crate alone:
//!
//! - the capability [`CertificateAuthority`] and its marker `ProvidesCertificateAuthority`
//!   (`capability!`), with the same compile errors as the built-ins when a topology lacks it;
//! - the resource it manages, [`CertificateRequest`], a [`Resource`];
//! - a provider, [`LocalCa`], that keeps a small CA of its own in a directory and issues
//!   certificates with it (the `rcgen` crate);
//! - a score, [`TlsCertificate`], that requests a certificate for a site (e.g. a `WebApp`'s
//!   `url`, whose host is its DNS name).
//!
//! Private keys (the CA's and every certificate's) are written `0600` in `0700` directories
//! through the runtime's safe writer, and never appear in a plan, the state, a rendered file or
//! any output: the resource holds only the name and validity, the keys only exist on disk.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use harmony_dsl::endpoint::protocol::Http;
use harmony_dsl::operation::{Resource, SecretValues};
use harmony_dsl::{
    Artifact, BoxFuture, Change, Endpoint, Error, Inspection, LiveStatus, Observed, Operation,
    Operations, Outcome, Provider, Result, Score, ScoreContext,
};
use harmony_runtime::safe_fs::{self, Entry, SecureDir, WriteOptions};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

// ANCHOR: capability
harmony_dsl::capability! {
    /// Issues X.509 certificates for DNS names.
    CertificateAuthority(ProvidesCertificateAuthority) manages CertificateRequest
}
// ANCHOR_END: capability

// ANCHOR: resource
/// A certificate for one DNS name, valid for some days from its issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRequest {
    /// The name the certificate is for (its subject and only subject alternative name).
    pub dns_name: String,
    /// Days it is valid from its issue.
    pub valid_days: u32,
}

impl Resource for CertificateRequest {
    fn id(&self) -> String {
        format!("cert:{}", self.dns_name)
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate for {} ({} days)",
            self.dns_name, self.valid_days
        )
    }

    fn render(&self, _capability: &str, _secrets: SecretValues) -> Artifact {
        // The request, never a key: keys are made by the provider when it applies.
        Artifact {
            path: format!("certificates/{}.json", self.dns_name),
            content: harmony_dsl::operation::pretty_json(self),
        }
    }
}

// ANCHOR_END: resource

/// A certificate authority of its own, kept in `dir`: its key (`ca.key`, `0600`) and
/// certificate (`ca.crt`) are made on the first apply; each certificate it issues is
/// `certs/<name>.crt` with its key `certs/<name>.key` (`0600`) and `certs/<name>.json`, what it
/// was issued for (so a second apply of the same request changes nothing).
#[derive(Debug, Clone, Provider)]
pub struct LocalCa {
    /// Directory of the CA (relative: to the current directory).
    pub dir: String,
    /// The CA's common name.
    #[provider(default = "Harmony example CA")]
    pub name: String,
}

/// What `certs/<name>.json` holds: the request and the digest of the CA certificate it was
/// signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Issued {
    request: CertificateRequest,
    ca_sha256: String,
}

fn io_error(what: &Path, e: io::Error) -> Error {
    Error::permanent(format!("{}: {e}", what.display()))
}

fn rcgen_error(what: &str, e: rcgen::Error) -> Error {
    Error::permanent(format!("{what}: {e}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file name for `dns_name`: refused when it could leave the directory.
fn file_stem(dns_name: &str) -> Result<&str> {
    let ok = !dns_name.is_empty()
        && dns_name != "."
        && dns_name != ".."
        && dns_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'*');
    if ok {
        Ok(dns_name)
    } else {
        Err(Error::permanent(format!(
            "`{dns_name}` is not a DNS name a certificate can be issued for"
        )))
    }
}

impl LocalCa {
    fn root(&self) -> PathBuf {
        PathBuf::from(&self.dir)
    }

    fn certs(&self) -> PathBuf {
        self.root().join("certs")
    }

    /// The CA's distinguished name and usages: the same every time, so the issuer is rebuilt
    /// from its key alone.
    fn ca_params(&self) -> Result<CertificateParams> {
        let mut params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| rcgen_error("CA", e))?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, self.name.as_str());
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(params)
    }

    /// The CA certificate's digest, when the CA exists.
    fn ca_digest(&self) -> Result<Option<String>> {
        let path = self.root().join("ca.crt");
        match safe_fs::read_entry(&path).map_err(|e| io_error(&path, e))? {
            Entry::File { content, .. } => Ok(Some(sha256_hex(&content))),
            Entry::Absent => Ok(None),
            _ => Err(Error::permanent(format!(
                "{} is not a regular file",
                path.display()
            ))),
        }
    }

    /// The CA's issuer (made on first use) and its certificate's digest.
    fn issuer(&self) -> Result<(Issuer<'static, KeyPair>, String)> {
        let root = self.root();
        let key_path = root.join("ca.key");
        let params = self.ca_params()?;
        let key = match safe_fs::read_entry(&key_path).map_err(|e| io_error(&key_path, e))? {
            Entry::File { content, .. } => {
                let pem = String::from_utf8(content)
                    .map_err(|_| Error::permanent(format!("{} is not PEM", key_path.display())))?;
                KeyPair::from_pem(&pem).map_err(|e| rcgen_error("CA key", e))?
            }
            Entry::Absent => {
                let key = KeyPair::generate().map_err(|e| rcgen_error("CA key", e))?;
                let cert = params
                    .self_signed(&key)
                    .map_err(|e| rcgen_error("CA certificate", e))?;
                safe_fs::write_file(
                    &key_path,
                    key.serialize_pem().as_bytes(),
                    &WriteOptions::PRIVATE,
                )
                .map_err(|e| io_error(&key_path, e))?;
                let cert_path = root.join("ca.crt");
                safe_fs::write_file(
                    &cert_path,
                    cert.pem().as_bytes(),
                    &WriteOptions {
                        mode: Some(0o644),
                        ..WriteOptions::PRIVATE
                    },
                )
                .map_err(|e| io_error(&cert_path, e))?;
                key
            }
            _ => {
                return Err(Error::permanent(format!(
                    "{} is not a regular file",
                    key_path.display()
                )));
            }
        };
        let digest = self
            .ca_digest()?
            .ok_or_else(|| Error::permanent(format!("{}/ca.crt is missing", self.dir)))?;
        Ok((Issuer::new(params, key), digest))
    }

    /// What `certs/<name>.json` says was issued, when the certificate and its key are there.
    fn issued(&self, request: &CertificateRequest) -> Result<Option<(Issued, String)>> {
        let stem = file_stem(&request.dns_name)?;
        let certs = self.certs();
        for ext in ["crt", "key"] {
            let path = certs.join(format!("{stem}.{ext}"));
            if !matches!(
                safe_fs::read_entry(&path).map_err(|e| io_error(&path, e))?,
                Entry::File { .. }
            ) {
                return Ok(None);
            }
        }
        let path = certs.join(format!("{stem}.json"));
        match safe_fs::read_entry(&path).map_err(|e| io_error(&path, e))? {
            Entry::File { content, .. } => {
                let digest = sha256_hex(&content);
                Ok(serde_json::from_slice(&content).ok().map(|i| (i, digest)))
            }
            _ => Ok(None),
        }
    }

    async fn inspect_request(&self, request: &CertificateRequest) -> Result<Inspection> {
        let ca = self.ca_digest()?;
        Ok(match self.issued(request)? {
            None => Inspection {
                change: Change::Create {
                    summary: format!("issue a certificate for {}", request.dns_name),
                },
                observed: Observed::Absent,
            },
            Some((issued, digest)) => {
                let change = if issued.request == *request && Some(&issued.ca_sha256) == ca.as_ref()
                {
                    Change::None
                } else {
                    Change::Update {
                        diff: vec![format!(
                            "issued for {:?} by CA {}; now {:?} by CA {}",
                            issued.request,
                            issued.ca_sha256,
                            request,
                            ca.as_deref().unwrap_or("(not made yet)")
                        )],
                    }
                };
                Inspection {
                    change,
                    observed: Observed::Hash { value: digest },
                }
            }
        })
    }

    async fn issue(&self, request: &CertificateRequest) -> Result<Outcome> {
        if self.inspect_request(request).await?.change == Change::None {
            return Ok(Outcome::Unchanged);
        }
        let stem = file_stem(&request.dns_name)?;
        let (issuer, ca_sha256) = self.issuer()?;
        let mut params = CertificateParams::new(vec![request.dns_name.clone()])
            .map_err(|e| rcgen_error(&request.dns_name, e))?;
        params
            .distinguished_name
            .push(DnType::CommonName, request.dns_name.as_str());
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(5);
        params.not_after = now + time::Duration::days(i64::from(request.valid_days));
        let key = KeyPair::generate().map_err(|e| rcgen_error("key", e))?;
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(|e| rcgen_error(&request.dns_name, e))?;
        let certs = self.certs();
        let public = WriteOptions {
            mode: Some(0o644),
            ..WriteOptions::PRIVATE
        };
        // The key first: a certificate is never there without its key.
        let key_path = certs.join(format!("{stem}.key"));
        safe_fs::write_file(
            &key_path,
            key.serialize_pem().as_bytes(),
            &WriteOptions::PRIVATE,
        )
        .map_err(|e| io_error(&key_path, e))?;
        let cert_path = certs.join(format!("{stem}.crt"));
        safe_fs::write_file(&cert_path, cert.pem().as_bytes(), &public)
            .map_err(|e| io_error(&cert_path, e))?;
        let issued = Issued {
            request: request.clone(),
            ca_sha256,
        };
        let record = serde_json::to_vec_pretty(&issued).unwrap_or_default();
        let record_path = certs.join(format!("{stem}.json"));
        safe_fs::write_file(&record_path, &record, &public)
            .map_err(|e| io_error(&record_path, e))?;
        Ok(Outcome::changed(format!(
            "issued a certificate for {} ({} days), key {}",
            request.dns_name,
            request.valid_days,
            key_path.display()
        )))
    }

    async fn revoke(&self, request: &CertificateRequest) -> Result<Outcome> {
        let stem = file_stem(&request.dns_name)?;
        let certs = self.certs();
        let dir = match SecureDir::open(&certs, None) {
            Ok(dir) => dir,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Unchanged),
            Err(e) => return Err(io_error(&certs, e)),
        };
        let mut removed = 0;
        for ext in ["crt", "key", "json"] {
            let name = format!("{stem}.{ext}");
            match dir.remove_file(OsStr::new(&name)) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(&certs.join(name), e)),
            }
        }
        Ok(if removed == 0 {
            Outcome::Unchanged
        } else {
            Outcome::changed(format!("removed the certificate for {}", request.dns_name))
        })
    }

    async fn issued_certificates(&self) -> Result<Vec<LiveStatus>> {
        let certs = self.certs();
        let entries = match std::fs::read_dir(&certs) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&certs, e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        let ca = self.ca_digest()?;
        let mut lines = Vec::new();
        for name in names {
            let request = CertificateRequest {
                dns_name: name.clone(),
                valid_days: 0,
            };
            let (state, detail) = match self.issued(&request)? {
                Some((issued, _)) if Some(&issued.ca_sha256) == ca.as_ref() => (
                    "issued",
                    format!("{} days, by {}", issued.request.valid_days, self.name),
                ),
                Some(_) => ("stale", "signed by another CA".to_string()),
                None => ("incomplete", "certificate or key missing".to_string()),
            };
            lines.push(LiveStatus {
                subject: format!("certificate {name}"),
                state: state.to_string(),
                detail,
            });
        }
        Ok(lines)
    }
}

// ANCHOR: provider
impl CertificateAuthority for LocalCa {
    fn inspect<'a>(
        &'a self,
        resource: &'a CertificateRequest,
    ) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.inspect_request(resource))
    }

    fn apply<'a>(&'a self, resource: &'a CertificateRequest) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.issue(resource))
    }

    fn remove<'a>(&'a self, resource: &'a CertificateRequest) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.revoke(resource))
    }

    fn status<'a>(&'a self) -> BoxFuture<'a, Result<Vec<LiveStatus>>> {
        Box::pin(self.issued_certificates())
    }
}

// ANCHOR_END: provider

// ANCHOR: score
/// A TLS certificate for a site, issued by the topology's [`CertificateAuthority`]: wire
/// `site: web.url` to a `WebApp` and the certificate is for its DNS name.
#[derive(Debug, Clone, Score)]
#[score(requires(CertificateAuthority))]
pub struct TlsCertificate {
    /// The site: its host is the certificate's DNS name.
    pub site: Endpoint<Http>,
    /// Days the certificate is valid.
    #[score(default = 90)]
    pub valid_days: u32,
}

impl Operations for TlsCertificate {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        vec![Operation::new::<dyn CertificateAuthority>(
            CertificateRequest {
                dns_name: self.site.host.clone(),
                valid_days: self.valid_days,
            },
        )]
    }
}

// ANCHOR_END: score

pub mod sites {
    //! Two places that offer the capability: a lab with nothing but the CA, and a shop whose web
    //! app gets a certificate for its DNS name.

    use harmony_runtime::prelude::*;

    use super::{CertificateAuthority, LocalCa, TlsCertificate};

    topology! {
        /// This machine, with a certificate authority kept in `./pki`.
        pub Lab {
            capabilities {
                CertificateAuthority => LocalCa { dir: "pki" },
            }
        }
    }

    topology! {
        /// A small cluster whose sites get certificates from the office CA.
        pub Shop {
            hosts {
                srv1 { arch: x86_64, address: "10.0.0.11", labels: [control_plane] }
            }
            capabilities {
                K8sCluster           => Kube { context: "office" },
                DnsServer            => CoreDns { on: srv1, zone: "example.test" },
                LoadBalancer         => MetalLb { pool: "10.0.0.240/28" },
                CertificateAuthority => LocalCa { dir: "pki", name: "Office CA" },
            }
        }
    }

    score! {
        /// The shop's web app, and a certificate for the DNS name it is published under.
        pub fn shop() -> Plan<Shop> {
            web = WebApp {
                image: "registry.example.test/shop:1.0.0",
                port: 8443,
                dns: "shop.example.test",
            };
            cert = TlsCertificate { site: web.url };
        }
    }

    /// The lab's plan: one certificate per name, for sites served elsewhere (plan `lab`, each
    /// score named after its DNS name with `.` as `-`).
    pub fn lab(names: &[&str]) -> Plan<Lab> {
        let mut plan = Plan::new("lab");
        for name in names {
            let port = Port::new(443).expect("443 is a port");
            plan.add(
                &name.replace('.', "-"),
                TlsCertificate {
                    site: Endpoint::new(*name, port),
                    valid_days: 30,
                },
                &[],
            );
        }
        plan
    }
}
