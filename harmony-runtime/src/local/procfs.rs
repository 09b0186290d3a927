//! What `/proc` says about processes and listening sockets: enough to find the processes Harmony
//! started again (by their environment marker), to tell a reused pid from ours (start time), and
//! to name the process holding a TCP port.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::MetadataExt;

/// The fields of `/proc/<pid>/stat` Harmony uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Parent pid.
    pub ppid: i32,
    /// Process group id.
    pub pgrp: i32,
    /// Session id.
    pub session: i32,
    /// Start time, in clock ticks since boot: with the pid, a process's identity.
    pub start_ticks: u64,
    /// A zombie (or dead) process: it runs nothing any more.
    pub zombie: bool,
}

/// `/proc/<pid>/stat`, when the process exists.
pub(crate) fn stat(pid: i32) -> Option<Stat> {
    if pid <= 0 {
        return None;
    }
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain anything: split after it.
    let after = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(Stat {
        zombie: matches!(fields.first(), Some(&"Z" | &"X")),
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        session: fields.get(3)?.parse().ok()?,
        start_ticks: fields.get(19)?.parse().ok()?,
    })
}

/// Every pid in `/proc`.
pub(crate) fn pids() -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// The owner (real uid) of process `pid`.
pub(crate) fn owner(pid: i32) -> Option<u32> {
    fs::metadata(format!("/proc/{pid}")).ok().map(|m| m.uid())
}

/// Whether process `pid`'s initial environment holds exactly the entry `entry` (`NAME=value`).
pub(crate) fn environ_has(pid: i32, entry: &str) -> bool {
    fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|e| e == entry.as_bytes()))
}

/// Live (not zombie) processes owned by `uid` whose environment holds `entry`.
pub(crate) fn with_environ(entry: &str, uid: u32) -> Vec<i32> {
    pids()
        .into_iter()
        .filter(|&pid| {
            owner(pid) == Some(uid)
                && environ_has(pid, entry)
                && stat(pid).is_some_and(|s| !s.zombie)
        })
        .collect()
}

/// Process `pid`'s command line for messages: arguments joined by spaces, control characters
/// escaped, at most 120 characters; `[name]` for a kernel thread or when unreadable.
pub(crate) fn command_line(pid: i32) -> String {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let text = if args.is_empty() {
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        format!("[{}]", comm.trim())
    } else {
        args.join(" ")
    };
    let mut out: String = text.chars().flat_map(char::escape_default).collect();
    if out.chars().count() > 120 {
        out = format!("{}...", out.chars().take(117).collect::<String>());
    }
    out
}

/// A socket listening on a port: its inode and the uid that created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Listener {
    /// The socket's inode (`socket:[inode]` in `/proc/<pid>/fd`).
    pub inode: u64,
    /// Its owner.
    pub uid: u32,
}

/// The sockets listening on TCP `port` at an address a connection to the loopback address can
/// reach (loopback or unspecified, IPv4 or IPv6), from `/proc/net/tcp{,6}` (this network
/// namespace's).
pub(crate) fn listeners(port: u16) -> Vec<Listener> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(local), Some(state), Some(uid), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(7), fields.get(9))
            else {
                continue;
            };
            if *state != "0A" {
                continue; // not LISTEN
            }
            let Some((address, hex_port)) = local.split_once(':') else {
                continue;
            };
            if u16::from_str_radix(hex_port, 16) != Ok(port) {
                continue;
            }
            let reachable = parse_address(address).is_some_and(|ip| match ip {
                IpAddr::V4(v4) => v4.is_loopback() || v4.is_unspecified(),
                IpAddr::V6(v6) => {
                    v6.is_loopback()
                        || v6.is_unspecified()
                        || v6
                            .to_ipv4_mapped()
                            .is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
                }
            });
            if let (true, Ok(inode), Ok(uid)) = (reachable, inode.parse(), uid.parse()) {
                found.push(Listener { inode, uid });
            }
        }
    }
    found
}

/// An address as `/proc/net/tcp{,6}` prints it: 32-bit words in hex, each in host byte order.
fn parse_address(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let text = hex.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(text, 16).ok()?.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// Whether process `pid` holds a file descriptor on one of the sockets `inodes`.
pub(crate) fn holds_socket(pid: i32, inodes: &[u64]) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|target| {
            let target = target.as_os_str().as_encoded_bytes();
            target
                .strip_prefix(b"socket:[")
                .and_then(|t| t.strip_suffix(b"]"))
                .and_then(|t| std::str::from_utf8(t).ok()?.parse::<u64>().ok())
                .is_some_and(|inode| inodes.contains(&inode))
        })
    })
}

/// Pids of the processes holding a file descriptor on one of the sockets `inodes`.
pub(crate) fn socket_holders(inodes: &[u64]) -> Vec<i32> {
    if inodes.is_empty() {
        return Vec::new();
    }
    pids()
        .into_iter()
        .filter(|&pid| holds_socket(pid, inodes))
        .collect()
}

/// Whether `pid` is `ancestor` or descends from it (following parents, at most 64 levels).
pub(crate) fn descends_from(pid: i32, ancestor: i32) -> bool {
    let mut current = pid;
    for _ in 0..64 {
        if current == ancestor {
            return true;
        }
        match stat(current) {
            Some(s) if s.ppid > 0 => current = s.ppid,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id() as i32;
        let s = stat(me).expect("own stat");
        assert!(!s.zombie);
        assert!(s.start_ticks > 0);
        assert!(descends_from(me, s.ppid));
        assert!(command_line(me).contains("harmony_runtime"));
    }

    #[test]
    fn finds_who_listens_on_a_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let found = listeners(port);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].uid, 0);
        let inodes = [found[0].inode];
        assert_eq!(socket_holders(&inodes), vec![std::process::id() as i32]);
        drop(listener);
        // Our socket is gone; the port itself may already be someone else's (tests bind ports in
        // parallel, and the kernel reuses a freed one).
        assert!(listeners(port).iter().all(|l| l.inode != inodes[0]));
    }

    #[test]
    fn parses_proc_net_addresses() {
        let loopback = u32::from_ne_bytes([127, 0, 0, 1]);
        assert_eq!(
            parse_address(&format!("{loopback:08X}")),
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        let one = u32::from_ne_bytes([0, 0, 0, 1]);
        assert_eq!(
            parse_address(&format!("000000000000000000000000{one:08X}")),
            Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
        );
        assert_eq!(parse_address("xyz"), None);
    }
}
