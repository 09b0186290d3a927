//! The HTTP client the runtime's own HTTP backends share (Keycloak's admin API, the secret store):
//! hyper with rustls and the system's root certificates, HTTP/1, the stack `kube` already builds.

use hyper::body::Body;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A client for `https://` and plain `http://` URLs, sending bodies of type `B`. Fails only when
/// the system's root certificates cannot be loaded.
pub(crate) fn client<B>() -> std::io::Result<Client<HttpsConnector<HttpConnector>, B>>
where
    B: Body + Send,
    B::Data: Send,
{
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// What a URL path segment or query value must percent-encode: everything but the unreserved
/// characters of RFC 3986 (letters, digits, `-._~`).
pub(crate) const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
