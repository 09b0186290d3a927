//! Files written safely when Harmony runs as root.
//!
//! Every file Harmony writes (managed files, the state, saved plans, rendered output) goes
//! through [`write_file`]:
//!
//! - the parent directory is opened component by component from `/` with `openat(O_NOFOLLOW)`,
//!   each directory checked by [`check_directory`] on the open descriptor (no name is looked up
//!   twice, so nothing can be swapped between the check and the use);
//! - the temporary file gets an unpredictable name ([`TEMP_PREFIX`] and 16 random characters,
//!   chosen by `tempfile`), is created with `O_CREAT|O_EXCL|O_NOFOLLOW` relative to that
//!   directory descriptor, with at most the final permission bits, and is `fchmod`ed to exactly
//!   the final mode before any byte is written;
//! - it is written, fsynced, renamed over the final name (`renameat`, which replaces a symbolic
//!   link planted there instead of following it) and the directory is fsynced.
//!
//! # Which directories Harmony writes in
//!
//! A directory on the way to a file (every one from `/` down) is accepted when it belongs to
//! root or to the user Harmony runs as, and no other user can write in it: neither group- nor
//! world-writable, unless it is *sticky* (like `/tmp`: others may add entries but cannot rename
//! or delete ours). A symbolic link on the way is followed only when it belongs to root or to
//! that user (in such a directory, only they can have made it); a link at the final name is
//! never followed. Anything else is refused with an error naming the directory or link, the
//! owner and the mode: another user could otherwise redirect what Harmony writes as root.
//!
//! Reads of managed files ([`read_entry`]) walk the same way and open the file with
//! `O_NOFOLLOW|O_NONBLOCK`, so a planted link or FIFO is reported, never followed or waited on.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, Stat};

/// Prefix of the temporary files Harmony writes; [`clean_stale_temporaries`] removes only these.
pub const TEMP_PREFIX: &str = ".harmony-tmp-";

/// Most symbolic links one path may go through.
const MAX_LINKS: usize = 40;

/// How a file is written by [`write_file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Permission bits of the file. `None`: those of the file it replaces, else `0o666` less
    /// the umask (like `fs::write`).
    pub mode: Option<u32>,
    /// Mode of directories created on the way (less the umask).
    pub dir_mode: u32,
    /// Whether the file and its directory are fsynced (false for output that is cheap to write
    /// again, such as `render`).
    pub durable: bool,
}

impl WriteOptions {
    /// Private: mode `0o600`, directories `0o700`, durable. For the state and saved plans.
    pub const PRIVATE: WriteOptions = WriteOptions {
        mode: Some(0o600),
        dir_mode: 0o700,
        durable: true,
    };

    /// Mode `mode` (or kept, see [`WriteOptions::mode`]), directories `0o755`, durable.
    pub const fn with_mode(mode: Option<u32>) -> WriteOptions {
        WriteOptions {
            mode,
            dir_mode: 0o755,
            durable: true,
        }
    }
}

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn egid() -> u32 {
    rustix::process::getegid().as_raw()
}

/// Checks that the directory described by `st` (at `shown`) cannot be changed by another user:
/// owned by root or by us, and neither group- nor world-writable unless sticky (a group-writable
/// directory of group root or of our group is accepted).
pub fn check_directory(st: &Stat, shown: &Path) -> io::Result<()> {
    let uid = st.st_uid;
    if uid != 0 && uid != euid() {
        return Err(refused(format!(
            "refusing to use {}: it belongs to uid {uid}, another user who could redirect what Harmony writes there",
            shown.display()
        )));
    }
    let mode = st.st_mode & 0o7777;
    let sticky = mode & 0o1000 != 0;
    let group_writable = mode & 0o020 != 0 && st.st_gid != 0 && st.st_gid != egid();
    let world_writable = mode & 0o002 != 0;
    if (group_writable || world_writable) && !sticky {
        return Err(refused(format!(
            "refusing to use {}: other users can write in it (mode {mode:o}) and it is not sticky, so they could replace what Harmony writes there",
            shown.display()
        )));
    }
    Ok(())
}

fn file_type(st: &Stat) -> FileType {
    FileType::from_raw_mode(st.st_mode)
}

/// A directory opened safely (see the module documentation), with its path for messages.
#[derive(Debug)]
pub struct SecureDir {
    fd: OwnedFd,
    path: PathBuf,
}

fn open_dir_at(dir: &OwnedFd, name: &OsStr) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

fn open_root() -> io::Result<OwnedFd> {
    let fd = rustix::fs::openat(
        CWD,
        "/",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    check_directory(&rustix::fs::fstat(&fd)?, Path::new("/"))?;
    Ok(fd)
}

/// The components of `path` made absolute (against the current directory), `.` dropped.
fn components(path: &Path) -> io::Result<Vec<OsString>> {
    let absolute = std::path::absolute(path)?;
    Ok(absolute
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect())
}

impl SecureDir {
    /// Opens directory `path` safely; with `create`, missing directories are created with that
    /// mode (less the umask). Errors name the directory or link that was refused.
    pub fn open(path: &Path, create: Option<u32>) -> io::Result<SecureDir> {
        let mut queue: std::collections::VecDeque<OsString> = components(path)?.into();
        let mut fd = open_root()?;
        let mut shown = PathBuf::from("/");
        let mut links = 0;
        while let Some(name) = queue.pop_front() {
            let here = shown.join(&name);
            match open_dir_at(&fd, &name) {
                Ok(next) => {
                    check_directory(&rustix::fs::fstat(&next)?, &here)?;
                    fd = next;
                    shown = if name == ".." {
                        shown
                            .parent()
                            .map_or_else(|| shown.clone(), Path::to_path_buf)
                    } else {
                        here
                    };
                }
                Err(rustix::io::Errno::NOENT) if create.is_some() => {
                    let mode = create.unwrap_or(0o700);
                    match rustix::fs::mkdirat(&fd, &name, Mode::from_raw_mode(mode)) {
                        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                        Err(e) => {
                            return Err(io::Error::new(
                                io::Error::from(e).kind(),
                                format!("cannot create directory {}: {e}", here.display()),
                            ));
                        }
                    }
                    // Open it again: whatever is there now is checked like any directory.
                    queue.push_front(name);
                }
                Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                    let st = rustix::fs::statat(&fd, &name, AtFlags::SYMLINK_NOFOLLOW)?;
                    if file_type(&st) != FileType::Symlink {
                        return Err(io::Error::new(
                            io::ErrorKind::NotADirectory,
                            format!("{} is not a directory", here.display()),
                        ));
                    }
                    if st.st_uid != 0 && st.st_uid != euid() {
                        return Err(refused(format!(
                            "refusing to follow the symbolic link {}: it belongs to uid {}, another user",
                            here.display(),
                            st.st_uid
                        )));
                    }
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!("too many symbolic links on the way to {}", path.display()),
                        ));
                    }
                    let target = rustix::fs::readlinkat(&fd, &name, Vec::new())?;
                    let target = PathBuf::from(OsStr::from_bytes(target.as_bytes()));
                    let mut rest: Vec<OsString> = target
                        .components()
                        .filter_map(|c| match c {
                            Component::Normal(n) => Some(n.to_os_string()),
                            Component::ParentDir => Some(OsString::from("..")),
                            _ => None,
                        })
                        .collect();
                    if target.is_absolute() {
                        fd = open_root()?;
                        shown = PathBuf::from("/");
                    }
                    rest.extend(queue.drain(..));
                    queue = rest.into();
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::Error::from(e).kind(),
                        format!("cannot open directory {}: {e}", here.display()),
                    ));
                }
            }
        }
        Ok(SecureDir { fd, path: shown })
    }

    /// The directory's path (symbolic links resolved).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Another handle on the same directory (for another thread).
    pub fn try_clone(&self) -> io::Result<SecureDir> {
        Ok(SecureDir {
            fd: self.fd.try_clone()?,
            path: self.path.clone(),
        })
    }

    /// Opens the subdirectory `name` of this one without following a link, checked like every
    /// directory on the way (see [`check_directory`]); with `create`, a missing one is created
    /// with that mode (less the umask). `None` when it is missing and `create` is `None`. A
    /// symbolic link or a file at `name` is an error.
    pub fn open_child(&self, name: &OsStr, create: Option<u32>) -> io::Result<Option<SecureDir>> {
        let here = self.path.join(name);
        loop {
            match open_dir_at(&self.fd, name) {
                Ok(fd) => {
                    check_directory(&rustix::fs::fstat(&fd)?, &here)?;
                    return Ok(Some(SecureDir { fd, path: here }));
                }
                Err(rustix::io::Errno::NOENT) => {
                    let Some(mode) = create else {
                        return Ok(None);
                    };
                    match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode)) {
                        // Opened again: whatever is there now is checked like any directory.
                        Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                        Err(e) => {
                            return Err(io::Error::new(
                                io::Error::from(e).kind(),
                                format!("cannot create directory {}: {e}", here.display()),
                            ));
                        }
                    }
                }
                Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotADirectory,
                        format!(
                            "{} is not a directory (a symbolic link or a file): Harmony does not follow links there",
                            here.display()
                        ),
                    ));
                }
                Err(e) => {
                    return Err(io::Error::new(
                        io::Error::from(e).kind(),
                        format!("cannot open directory {}: {e}", here.display()),
                    ));
                }
            }
        }
    }

    /// Opens `name` read-only without following a link there or waiting on a FIFO.
    fn open_for_reading(&self, name: &OsStr) -> rustix::io::Result<OwnedFd> {
        rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
    }

    /// What is at `name` in this directory, without following a link there.
    pub fn entry(&self, name: &OsStr) -> io::Result<Entry> {
        let st = match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => return Ok(Entry::Absent),
            Err(e) => return Err(e.into()),
        };
        match file_type(&st) {
            FileType::Directory => Ok(Entry::Directory),
            FileType::RegularFile => {
                let fd = match self.open_for_reading(name) {
                    Ok(fd) => fd,
                    // Replaced by a link or removed since the stat: report what is there now.
                    Err(rustix::io::Errno::LOOP) => return Ok(Entry::Other),
                    Err(rustix::io::Errno::NOENT) => return Ok(Entry::Absent),
                    Err(e) => return Err(e.into()),
                };
                let st = rustix::fs::fstat(&fd)?;
                if file_type(&st) != FileType::RegularFile {
                    return Ok(Entry::Other);
                }
                let mut content = Vec::with_capacity(usize::try_from(st.st_size).unwrap_or(0));
                File::from(fd).read_to_end(&mut content)?;
                Ok(Entry::File {
                    content,
                    mode: st.st_mode & 0o7777,
                })
            }
            _ => Ok(Entry::Other),
        }
    }

    /// Writes `bytes` as `name` in this directory (see the module documentation).
    pub fn write(&self, name: &OsStr, bytes: &[u8], options: &WriteOptions) -> io::Result<()> {
        let mode = match options.mode {
            Some(mode) => Some(mode & 0o7777),
            None => match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) if file_type(&st) == FileType::RegularFile => Some(st.st_mode & 0o7777),
                _ => None,
            },
        };
        // Created with at most the final permission bits (the umask may remove some), then set
        // to exactly them before anything is written.
        let create_mode = mode.map_or(0o666, |m| m & 0o777);
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .rand_bytes(16)
            .make_in(&self.path, |candidate| {
                let temp_name = candidate.file_name().unwrap_or_default();
                let fd = rustix::fs::openat(
                    &self.fd,
                    temp_name,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(create_mode),
                )?;
                Ok((fd, temp_name.to_os_string()))
            })?;
        // From here on the temporary is removed by name relative to our descriptor, not by path.
        let ((fd, temp_name), temp_path) = temp.into_parts();
        let _ = temp_path.keep();
        let result = (|| {
            if let Some(mode) = mode {
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
            }
            let mut file = File::from(fd);
            file.write_all(bytes)?;
            if options.durable {
                file.sync_all()?;
            }
            drop(file);
            rustix::fs::renameat(&self.fd, &temp_name, &self.fd, name)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = rustix::fs::unlinkat(&self.fd, &temp_name, AtFlags::empty());
            return result;
        }
        if options.durable {
            rustix::fs::fsync(&self.fd)?;
        }
        Ok(())
    }

    /// Like [`SecureDir::write`], unless `name` is already a regular file holding exactly
    /// `bytes` (and, when `options.mode` is set, with that mode): then nothing is written, its
    /// mtime and inode stay, and the result is `false`. `scratch` is reused to read the old bytes.
    /// The old file is opened with `O_NOFOLLOW|O_NONBLOCK`: a link or FIFO there is replaced,
    /// never followed or waited on.
    pub fn write_if_changed(
        &self,
        name: &OsStr,
        bytes: &[u8],
        options: &WriteOptions,
        scratch: &mut Vec<u8>,
    ) -> io::Result<bool> {
        if self.holds(name, bytes, options.mode, scratch)? {
            return Ok(false);
        }
        self.write(name, bytes, options)?;
        Ok(true)
    }

    /// Whether `name` is a regular file holding exactly `bytes` (with `mode`, when given).
    fn holds(
        &self,
        name: &OsStr,
        bytes: &[u8],
        mode: Option<u32>,
        scratch: &mut Vec<u8>,
    ) -> io::Result<bool> {
        let fd = match self.open_for_reading(name) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::LOOP) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let st = rustix::fs::fstat(&fd)?;
        let same_shape = file_type(&st) == FileType::RegularFile
            && mode.is_none_or(|mode| st.st_mode & 0o7777 == mode & 0o7777)
            && u64::try_from(st.st_size).ok() == u64::try_from(bytes.len()).ok();
        if !same_shape {
            return Ok(false);
        }
        scratch.clear();
        // One byte more than expected: a file that grew since the fstat is not equal.
        File::from(fd)
            .take(bytes.len() as u64 + 1)
            .read_to_end(scratch)?;
        Ok(scratch.as_slice() == bytes)
    }

    /// Opens (creates, mode `0600`) the regular file `name` for reading and writing, never
    /// through a link; refused unless it is a regular file belonging to us.
    pub fn open_private_file(&self, name: &OsStr) -> io::Result<File> {
        let fd = rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| match e {
            rustix::io::Errno::LOOP => refused(format!(
                "refusing to open {}: it is a symbolic link",
                self.path.join(name).display()
            )),
            e => e.into(),
        })?;
        let st = rustix::fs::fstat(&fd)?;
        if file_type(&st) != FileType::RegularFile || st.st_uid != euid() {
            return Err(refused(format!(
                "refusing to use {}: not a regular file of ours (uid {}, mode {:o})",
                self.path.join(name).display(),
                st.st_uid,
                st.st_mode
            )));
        }
        Ok(File::from(fd))
    }

    /// Removes the regular file (or link) `name`; never follows a link.
    pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
        rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()).map_err(Into::into)
    }

    /// Removes the empty directory `name`.
    pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
        rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR).map_err(Into::into)
    }

    /// Sets the mode of `name` (a regular file or directory here, never through a link) when it
    /// differs; returns the mode it had.
    pub fn restrict_mode(&self, name: &OsStr, mode: u32) -> io::Result<Option<u32>> {
        let fd = match self.open_for_reading(name) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let st = rustix::fs::fstat(&fd)?;
        let old = st.st_mode & 0o7777;
        if old != mode {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
            return Ok(Some(old));
        }
        Ok(None)
    }

    /// Removes Harmony's temporary files ([`TEMP_PREFIX`]) in this directory that belong to us
    /// and were last modified more than `older_than` ago. Returns how many were removed.
    pub fn clean_stale_temporaries(&self, older_than: Duration) -> io::Result<usize> {
        let dup = rustix::fs::openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let dir = rustix::fs::Dir::read_from(&dup)?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let me = euid();
        let mut removed = 0;
        for entry in dir {
            let entry = entry?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if !name.as_bytes().starts_with(TEMP_PREFIX.as_bytes()) {
                continue;
            }
            let Ok(st) = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            let modified = Duration::from_secs(u64::try_from(st.st_mtime).unwrap_or(0));
            if file_type(&st) == FileType::RegularFile
                && st.st_uid == me
                && now.saturating_sub(modified) >= older_than
                && rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()).is_ok()
            {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// What is at a path, read without following a link at its last component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Nothing.
    Absent,
    /// A regular file: its content and permission bits.
    File {
        /// Content.
        content: Vec<u8>,
        /// Permission bits (`0o7777` mask).
        mode: u32,
    },
    /// A directory.
    Directory,
    /// Anything else (a symbolic link, a FIFO, a device...).
    Other,
}

/// `path`'s parent directory and last component.
pub fn split(path: &Path) -> io::Result<(PathBuf, OsString)> {
    let absolute = std::path::absolute(path)?;
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name.to_os_string())),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )),
    }
}

/// Writes `bytes` to `path` safely and atomically (see the module documentation); missing
/// parent directories are created with `options.dir_mode`.
pub fn write_file(path: &Path, bytes: &[u8], options: &WriteOptions) -> io::Result<()> {
    let (parent, name) = split(path)?;
    SecureDir::open(&parent, Some(options.dir_mode))?.write(&name, bytes, options)
}

/// What is at `path`; the directories on the way are checked like for a write.
pub fn read_entry(path: &Path) -> io::Result<Entry> {
    let (parent, name) = split(path)?;
    match SecureDir::open(&parent, None) {
        Ok(dir) => dir.entry(&name),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Entry::Absent),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_with_the_final_mode_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/secret.txt");
        write_file(&path, b"s3cret", &WriteOptions::with_mode(Some(0o600))).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"s3cret");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        write_file(&path, b"again", &WriteOptions::with_mode(None)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600, "the replaced file's mode is kept");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("secret.txt")]);
    }

    #[test]
    fn a_link_at_the_final_name_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("out");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert_eq!(read_entry(&path).unwrap(), Entry::Other);
        write_file(&path, b"new", &WriteOptions::PRIVATE).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
    }

    #[test]
    fn world_writable_directories_are_refused_unless_sticky() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = write_file(&open.join("x"), b"x", &WriteOptions::PRIVATE).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("not sticky"), "{err}");
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
        write_file(&open.join("x"), b"x", &WriteOptions::PRIVATE).unwrap();
    }

    #[test]
    fn stale_temporaries_of_ours_are_cleaned_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{TEMP_PREFIX}old")), "x").unwrap();
        std::fs::write(dir.path().join("keep.txt"), "x").unwrap();
        let secure = SecureDir::open(dir.path(), None).unwrap();
        assert_eq!(
            secure
                .clean_stale_temporaries(Duration::from_secs(3600))
                .unwrap(),
            0,
            "a recent temporary may still be being written"
        );
        assert_eq!(secure.clean_stale_temporaries(Duration::ZERO).unwrap(), 1);
        assert!(dir.path().join("keep.txt").exists());
    }
}
