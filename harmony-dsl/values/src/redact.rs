//! Credentials in URLs, masked before anything is printed.

use std::borrow::Cow;

/// `text` with the password of every URL in it masked: `nats://user:pass@h` becomes
/// `nats://user:***@h`, and a user part without a password (a token: `nats://s3cr3t@h`) becomes
/// `***`. Use it on every URL, and on every error text that may quote one, before printing.
pub fn mask_url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                matches!(
                    c,
                    '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | ')' | ']' | ','
                ) || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(sep) => {
                changed = true;
                let userinfo = &authority[..sep];
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[sep..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            mask_url_credentials(
                "cannot connect to NATS at nats://app:hunter2@127.0.0.1:4222: refused"
            ),
            "cannot connect to NATS at nats://app:***@127.0.0.1:4222: refused"
        );
        assert_eq!(
            mask_url_credentials("tls://s3cr3t@h:1 and https://u:p@x/y?z=1"),
            "tls://***@h:1 and https://u:***@x/y?z=1"
        );
        assert_eq!(mask_url_credentials("http://h:80/a@b"), "http://h:80/a@b");
        assert!(matches!(mask_url_credentials("no url"), Cow::Borrowed(_)));
    }
}
